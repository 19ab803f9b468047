"""Return to factory and carry-in (返厂 / 送修): the goods in/out register, pickup receipts, repair tags.

Every item the service department takes from a customer is a line in the goods in/out register
(客户商品进出登记簿) from the moment the return is approved (§3 第十条) until it is handed over or
shipped back; the customer holds a numbered pickup receipt (客户商品领取收据) that is voided when the
item leaves; the repair tag (修护卡) hangs on the item and records the work done in the factory.

Imported by `tickets.models`; every write goes through `tickets.return_services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import NO_ROWS, BranchScopedQuerySet
from tickets.reports import signature_path


class OutKind(models.TextChoices):
    HANDED_OVER = "handed_over", _("客户领取")
    SHIPPED_BACK = "shipped_back", _("寄回客户")


class GoodsRegisterQuerySet(BranchScopedQuerySet):
    technician_field = NO_ROWS

    def for_register(self) -> GoodsRegisterQuerySet:
        """Everything a register line shows, in one query (views.goods_register)."""
        return self.select_related(
            "branch", "ticket__customer", "ticket__unit__product_model", "receipt"
        ).order_by("-in_at", "-pk")


class GoodsRegisterEntry(models.Model):
    number = models.CharField(_("登记号"), max_length=32, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="goods_entries"
    )
    item_description = models.CharField(_("商品"), max_length=200)
    accessories = models.CharField(_("随机附件"), max_length=200, blank=True)
    condition = models.CharField(_("外观与状态"), max_length=200, blank=True)
    in_at = models.DateTimeField(_("入库时间"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经手人"), on_delete=models.PROTECT, related_name="+"
    )
    out_at = models.DateTimeField(_("出库时间"), null=True, blank=True)
    out_kind = models.CharField(_("出库方式"), max_length=12, choices=OutKind.choices, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=40, blank=True)
    out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("出库经手人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = GoodsRegisterQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户商品进出登记")
        verbose_name_plural = _("客户商品进出登记簿")
        ordering = ["-in_at"]
        indexes = [
            # The register list: one branch, newest first, filtered by date (views.goods_register).
            models.Index(fields=["branch", "in_at"], name="tickets_goods_branch_in_idx"),
        ]
        constraints = [
            # An item is in the house once at a time.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(out_at__isnull=True),
                name="tickets_goodsregisterentry_one_open",
            ),
            models.CheckConstraint(
                condition=Q(out_at__isnull=True, out_kind="") | (Q(out_at__isnull=False) & ~Q(out_kind="")),
                name="tickets_goodsregisterentry_out_complete",
            ),
            models.CheckConstraint(
                condition=~Q(out_kind="shipped_back") | ~Q(tracking_number=""),
                name="tickets_goodsregisterentry_shipped_with_tracking",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PickupReceipt(models.Model):
    """客户商品领取收据: given to the customer at goods-in, voided when the item leaves."""

    number = models.CharField(_("收据号"), max_length=32, unique=True)
    entry = models.OneToOneField(
        GoodsRegisterEntry, verbose_name=_("登记"), on_delete=models.PROTECT, related_name="receipt"
    )
    issued_at = models.DateTimeField(_("开具时间"), default=timezone.now)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)
    signature = models.FileField(_("客户签字"), upload_to=signature_path, blank=True)
    signer_name = models.CharField(_("领取人"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("客户商品领取收据")
        verbose_name_plural = _("客户商品领取收据")
        constraints = [
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, void_reason="")
                | (Q(voided_at__isnull=False) & ~Q(void_reason="")),
                name="tickets_pickupreceipt_void_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class RepairTag(models.Model):
    """修护卡: hangs on the item in the factory; records hours, parts and the supervisor's inspection."""

    entry = models.OneToOneField(
        GoodsRegisterEntry, verbose_name=_("登记"), on_delete=models.PROTECT, related_name="tag"
    )
    labour_hours = models.DecimalField(_("工时(小时)"), max_digits=5, decimal_places=2, null=True, blank=True)
    parts_used = models.TextField(_("更换配件"), blank=True)
    work_done = models.TextField(_("维修内容"), blank=True)
    inspection_note = models.TextField(_("主任验收意见"), blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("修复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("修护卡")
        verbose_name_plural = _("修护卡")
        constraints = [
            models.CheckConstraint(
                condition=Q(labour_hours__isnull=True) | Q(labour_hours__gte=0),
                name="tickets_repairtag_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.entry.number

    def get_absolute_url(self) -> str:
        return reverse("tickets:repair_tag_pdf", args=[self.entry.ticket_id])
