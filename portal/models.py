"""The customer's own channel: one-time sign-in codes and texted sign-in links (issue #17).

Neither the code nor the link's token is kept: only a keyed digest, so a copy of the database can
neither sign in nor reverse a 6-digit code by trying the million of them (the key is SECRET_KEY).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import NO_ROWS, BranchScopedQuerySet


class SignInCode(models.Model):
    """One code asked for a phone number. A row is stored also for a number not on file (no SMS goes),
    so that the answer and the rate limits cannot tell which numbers are customers'."""

    phone = models.CharField(_("手机"), max_length=20)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    on_file = models.BooleanField(_("号码已登记"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    # Set at the last allowed wrong try: no code is sent to, nor accepted for, the number until then.
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")
        indexes = [
            # Rate limits and the latest code of a number (portal.services.request_code / verify_code).
            models.Index(fields=["phone", "created_at"], name="portal_code_phone_idx"),
            # The limit per address (portal.services.request_code).
            models.Index(fields=["ip_address", "created_at"], name="portal_code_ip_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(attempts__lte=5), name="portal_signincode_attempts_max"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class TicketLink(models.Model):
    """A texted link that signs the customer in to one ticket without a code: single use, expiring."""

    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="portal_links"
    )
    token_hash = models.CharField(_("链接令牌摘要"), max_length=64, unique=True)
    purpose = models.CharField(_("用途"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单登录链接")
        verbose_name_plural = _("工单登录链接")

    def __str__(self) -> str:
        return f"{self.ticket} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


def invoice_path(instance, filename: str) -> str:
    return f"invoices/{timezone.now():%Y/%m}/{filename}"


class ProductRegistrationQuerySet(BranchScopedQuerySet):
    # The office of the branch decides registrations; a technician sees none.
    technician_field = NO_ROWS


class ProductRegistration(models.Model):
    """服务卡登记 (seed §2-五, R2.service-cards): the customer registers a unit with its purchase date,
    place and a photo of the invoice; the office of the unit's branch confirms or rejects it. Once
    confirmed the unit's warranty counts from the confirmed purchase date."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已驳回")

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("用户"), on_delete=models.PROTECT, related_name="registrations"
    )
    # The queue it waits in: the unit's owner's branch, or the customer's for a serial not on file.
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    serial_number = models.CharField(_("序列号"), max_length=60)
    unit = models.ForeignKey(
        "customers.Unit",
        verbose_name=_("产品(机器)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )
    purchase_date = models.DateField(_("购买日期"))
    purchase_place = models.CharField(_("购买地点"), max_length=100)
    invoice = models.ImageField(_("发票照片"), upload_to=invoice_path)
    invoice_sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("驳回原因"), max_length=200, blank=True)

    objects = ProductRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("产品登记")
        verbose_name_plural = _("产品登记")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["branch", "status", "created_at"], name="portal_registration_queue_idx")
        ]

    def __str__(self) -> str:
        return f"{self.serial_number} {self.get_status_display()}"
