"""The service report (服务报告) of one visit, its parts, photos, signature and addenda (DESIGN §3).

The report follows the seed's 听 / 看 / 查 (§1-3.4.2): what the customer says, what the technician
sees (running time, mileage or hours; was the failed part taken apart before?), what the check finds.
The customer signs after the work is recorded, never before (§1-3.3.2); the signed content is frozen
and hashed, and a later correction is a separately signed addendum.

Imported by `tickets.models`, so Django registers these models in the `tickets` app. Every write goes
through `tickets.report_services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.bounds import MAX_QUANTITY


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")
    CARD = "card", _("银行卡")
    TRANSFER = "transfer", _("对公转账")


class FeeReason(models.TextChoices):
    """Why a repair the company pays for still costs the customer something (issue #14 item 3)."""

    PARTS_OUTSIDE_WARRANTY = "parts", _("保修范围外的配件")
    EXTRA_WORK = "extra_work", _("客户要求的额外服务")
    CUSTOMER_DAMAGE = "damage", _("现场发现的人为损坏")
    OTHER = "other", _("其他(须填写说明)")


def signature_path(instance, filename: str) -> str:
    return f"signatures/{timezone.now():%Y/%m}/{filename}"


def photo_path(instance, filename: str) -> str:
    return f"report-photos/{timezone.now():%Y/%m}/{filename}"


class ServiceReport(models.Model):
    """One report per visit of a ticket (`visit` = the ticket's check-in count when it was started)."""

    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="reports"
    )
    visit = models.PositiveIntegerField(_("第几次上门"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("技术员"), on_delete=models.PROTECT, related_name="+"
    )
    # A UUID made by the page: a form sent twice (double tap, resend after the network came back)
    # finds the report the first send created instead of making a second one.
    idempotency_key = models.UUIDField(_("提交标识"), unique=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # 听: the customer's account.
    customer_account = models.TextField(_("客户反映"), blank=True)
    # 看: running time, mileage or working hours; was the failed part taken apart before?
    usage_reading = models.CharField(_("运行时间/里程/工作小时"), max_length=60, blank=True)
    previously_disassembled = models.BooleanField(_("故障件曾被拆过"), null=True, blank=True)
    # 查: what the check found and why.
    findings = models.TextField(_("检查结果"), blank=True)
    cause = models.TextField(_("故障原因分析"), blank=True)
    # The work.
    work_done = models.TextField(_("处理措施"), blank=True)
    labour_hours = models.DecimalField(_("工时(小时)"), max_digits=5, decimal_places=2, null=True, blank=True)
    # Paid service: the fee is agreed before work and collected after (§5 第三十、三十一条).
    fee = models.DecimalField(_("服务费(元)"), max_digits=10, decimal_places=2, default=0)
    payment_method = models.CharField(_("付款方式"), max_length=10, choices=PaymentMethod.choices, blank=True)
    fee_collected = models.BooleanField(_("已收款"), default=False)
    # Needed for a fee on a repair the company pays for (tickets.fee_rules); blank otherwise.
    fee_reason = models.CharField(_("收费原因"), max_length=12, choices=FeeReason.choices, blank=True)
    fee_reason_note = models.CharField(_("收费原因说明"), max_length=200, blank=True)

    signature = models.FileField(_("客户签字"), upload_to=signature_path, blank=True)
    signer_name = models.CharField(_("签字人"), max_length=60, blank=True)
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    content_sha256 = models.CharField(_("内容摘要(SHA-256)"), max_length=64, blank=True)

    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务报告")
        verbose_name_plural = _("服务报告")
        ordering = ["ticket", "visit"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "visit"], name="tickets_servicereport_one_per_visit"),
            models.CheckConstraint(
                condition=Q(labour_hours__isnull=True) | Q(labour_hours__gte=0),
                name="tickets_servicereport_hours_not_negative",
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="tickets_servicereport_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(fee_reason="") | Q(fee__gt=0), name="tickets_servicereport_reason_with_fee"
            ),
            models.CheckConstraint(
                condition=~Q(fee_reason=FeeReason.OTHER) | ~Q(fee_reason_note=""),
                name="tickets_servicereport_other_reason_noted",
            ),
            # Signed means both the time and the hash of what was signed; a draft has neither.
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, content_sha256="")
                | (Q(signed_at__isnull=False) & ~Q(content_sha256="")),
                name="tickets_servicereport_signed_with_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} #{self.visit}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class ServiceReportPart(models.Model):
    """A part line. Free-text identity for now; the spare-parts issue adds nullable `part` and
    `stock_location` foreign keys next to `part_code` / `part_name`."""

    report = models.ForeignKey(ServiceReport, on_delete=models.CASCADE, related_name="parts")
    part_code = models.CharField(_("配件编号"), max_length=40, blank=True)
    part_name = models.CharField(_("配件名称"), max_length=100)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    removed_serial = models.CharField(_("拆下件序列号"), max_length=60, blank=True)
    fitted_serial = models.CharField(_("装上件序列号"), max_length=60, blank=True)
    # §1-3.7.4: an old part replaced under warranty goes back to the warehouse.
    old_part_returnable = models.BooleanField(_("旧件需返库"), default=False)

    class Meta:
        verbose_name = _("服务报告配件")
        verbose_name_plural = _("服务报告配件")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="tickets_servicereportpart_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="tickets_servicereportpart_quantity_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_name} × {self.quantity}"


class ServiceReportPhoto(models.Model):
    report = models.ForeignKey(ServiceReport, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to=photo_path)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


class ServiceReportAddendum(models.Model):
    """A correction to a frozen report: its own text, signature and hash; the report is untouched."""

    report = models.ForeignKey(ServiceReport, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填写人"), on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.UUIDField(_("提交标识"), unique=True)
    text = models.TextField(_("补充说明"))
    signature = models.FileField(_("客户签字"), upload_to=signature_path)
    signer_name = models.CharField(_("签字人"), max_length=60)
    signed_at = models.DateTimeField(_("签字时间"))
    content_sha256 = models.CharField(_("内容摘要(SHA-256)"), max_length=64)

    class Meta:
        verbose_name = _("服务报告补充说明")
        verbose_name_plural = _("服务报告补充说明")
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report} +{self.pk}"
