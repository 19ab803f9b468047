"""Compensation claims (赔偿/退换申请) and their approval (§2-一-2, DESIGN §7), the write-off entry
for finance, and the hand-over of collected service fees to finance (§5 第三十、三十一条, §7-十).

Every write goes through `claims.services` or `claims.fee_services`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from accounts.scoping import BranchScopedQuerySet
from aftersales.fsm import ThreadSafeRefreshMixin
from claims import routing


class ClaimKind(models.TextChoices):
    REFUND = "refund", _("退货退款")
    REPLACEMENT = "replacement", _("换货")
    CASH = "cash", _("现金赔偿")
    FEE_WAIVER = "fee_waiver", _("减免费用")


class ApproverRole(models.TextChoices):
    SUPERVISOR = "supervisor", _("服务主任")
    MANAGER = "manager", _("服务部经理")
    GENERAL_MANAGER = "general_manager", _("总经理")


class ApprovalRule(models.Model):
    """The routing of one branch (or, without a branch, of every branch that has no rule of its own)."""

    branch = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("网点"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="approval_rules",
        help_text=_("留空表示适用于所有未单独设置的网点"),
    )
    threshold = models.DecimalField(
        _("小额上限(元)"),
        max_digits=12,
        decimal_places=2,
        help_text=_("不超过此金额为小额,由本部门处理;超过此金额须总经理审批"),
    )

    class Meta:
        verbose_name = _("赔偿审批规则")
        verbose_name_plural = _("赔偿审批规则")
        ordering = ["branch__code"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="claims_approvalrule_threshold"),
            # One rule per branch and one default: NULL would be distinct in a plain unique index.
            models.UniqueConstraint(Coalesce("branch", Value(0)), name="claims_approvalrule_one_per_branch"),
        ]

    def __str__(self) -> str:
        return str(self.branch) if self.branch_id else str(_("默认(所有网点)"))

    def to_rule(self) -> routing.RoutingRule:
        return routing.RoutingRule(
            threshold=self.threshold,
            levels=tuple(
                routing.LevelSpec(role=level.role, large_only=level.large_only, kinds=frozenset(level.kinds))
                for level in self.levels.all()
            ),
        )


class ApprovalLevel(models.Model):
    rule = models.ForeignKey(ApprovalRule, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(_("顺序"))
    role = models.CharField(_("审批角色"), max_length=20, choices=ApproverRole.choices)
    large_only = models.BooleanField(
        _("仅大额"), default=False, help_text=_("只有超过小额上限的申请才经过此级")
    )
    kinds = models.JSONField(_("适用类型"), default=list, blank=True, help_text=_("留空表示所有类型"))

    class Meta:
        verbose_name = _("审批级别")
        verbose_name_plural = _("审批级别")
        ordering = ["rule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "position"], name="claims_approvallevel_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_role_display()}"

    def clean(self) -> None:
        if not isinstance(self.kinds, list) or not set(self.kinds) <= set(ClaimKind.values):
            raise ValidationError(
                {"kinds": _("适用类型只能是:%(kinds)s") % {"kinds": ", ".join(ClaimKind.values)}}
            )


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    WRITTEN_OFF = "written_off", _("已核销")
    WITHDRAWN = "withdrawn", _("已撤回")


class ClaimQuerySet(BranchScopedQuerySet):
    technician_field = "submitted_by"

    def awaiting(self, user) -> ClaimQuerySet:
        """Claims whose current level this user may decide: their role, their branch or headquarters —
        or assigned to them by an admin —, not their own claim and not one they already approved at an
        earlier level."""
        if not user.is_active:
            return self.none()
        by_role = Q(assigned_to__isnull=True, awaiting_role__in=user.roles)
        if not user.sees_all_branches:
            by_role &= Q(branch_id=user.branch_id) if user.branch_id else Q(pk__in=[])
        claims = self.filter(by_role | Q(assigned_to=user), status=ClaimStatus.PENDING).exclude(
            submitted_by=user
        )
        return claims.exclude(pk__in=ClaimApproval.objects.filter(approver=user).values("claim_id"))

    def for_list(self) -> ClaimQuerySet:
        return self.select_related("branch", "ticket__customer", "submitted_by").order_by(
            "-submitted_at", "-pk"
        )


def claim_file_path(instance, filename: str) -> str:
    return f"claims/{timezone.now():%Y/%m}/{filename}"


class Claim(ThreadSafeRefreshMixin, models.Model):
    """A compensation claim on a ticket. `levels` is the route stored when it was submitted;
    `awaiting_role` / `current_level` say who decides next (blank once decided)."""

    number = models.CharField(_("申请编号"), max_length=30, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="claims"
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="claims"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=ClaimKind.choices)
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("原因"))
    # A UUID made by the form: a claim sent twice (double tap, resend) finds the first one.
    idempotency_key = models.UUIDField(_("提交标识"), unique=True, null=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    threshold = models.DecimalField(_("小额上限(元)"), max_digits=12, decimal_places=2)
    is_large = models.BooleanField(_("大额"))
    levels = models.JSONField(_("审批流程"), default=list)
    status = FSMField(_("状态"), default=ClaimStatus.PENDING, choices=ClaimStatus.choices, protected=True)
    current_level = models.PositiveSmallIntegerField(_("当前审批级"), default=1)
    awaiting_role = models.CharField(_("待审批角色"), max_length=20, choices=ApproverRole.choices, blank=True)
    decided_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    rejection_reason = models.TextField(_("驳回原因"), blank=True)
    # Set by an admin when nobody of the level's role may decide (the claimant is the branch's only
    # supervisor, say); cleared when the level is decided.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    withdrawal_reason = models.TextField(_("撤回原因"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("赔偿申请")
        verbose_name_plural = _("赔偿申请")
        ordering = ["-submitted_at"]
        indexes = [
            # The approvals inbox: pending claims of a role, oldest first (claims.inbox_views.inbox).
            models.Index(
                fields=["awaiting_role", "submitted_at"],
                name="claims_claim_awaiting_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["branch", "submitted_at"], name="claims_claim_branch_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claims_claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True) & ~Q(awaiting_role="")
                | ~Q(status="pending") & Q(decided_at__isnull=False, awaiting_role=""),
                name="claims_claim_awaiting_while_pending",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="claims_claim_rejected_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawal_reason=""),
                name="claims_claim_withdrawn_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("claims:claim_detail", args=[self.pk])

    @property
    def is_last_level(self) -> bool:
        return self.current_level >= len(self.levels)

    # --- transitions: bodies change this row only; see claims.services. ---

    @transition(
        field=status,
        source=ClaimStatus.PENDING,
        target=RETURN_VALUE(ClaimStatus.PENDING, ClaimStatus.APPROVED),
    )
    def approve_level(self, *, at) -> str:
        self.assigned_to = None
        if self.is_last_level:
            self.awaiting_role = ""
            self.decided_at = at
            return ClaimStatus.APPROVED
        self.current_level += 1
        self.awaiting_role = self.levels[self.current_level - 1]["role"]
        return ClaimStatus.PENDING

    @transition(field=status, source=ClaimStatus.PENDING, target=ClaimStatus.REJECTED)
    def reject(self, *, reason: str, at) -> None:
        self.assigned_to = None
        self.rejection_reason = reason
        self.awaiting_role = ""
        self.decided_at = at

    @transition(field=status, source=ClaimStatus.PENDING, target=ClaimStatus.WITHDRAWN)
    def withdraw(self, *, reason: str, at) -> None:
        self.withdrawal_reason = reason
        self.awaiting_role = ""
        self.assigned_to = None
        self.decided_at = at

    @transition(field=status, source=ClaimStatus.APPROVED, target=ClaimStatus.WRITTEN_OFF)
    def write_off(self) -> None:
        pass


class Decision(models.TextChoices):
    APPROVE = "approve", _("批准")
    REJECT = "reject", _("驳回")


class ClaimApproval(models.Model):
    """One decision at one level: append-only; at most one per level (two approvers pressing at once:
    the row lock on the claim serialises them and this constraint is the last word)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="approvals")
    level = models.PositiveSmallIntegerField(_("审批级"))
    role = models.CharField(_("审批角色"), max_length=20, choices=ApproverRole.choices)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("审批结果"), max_length=10, choices=Decision.choices)
    note = models.TextField(_("审批意见"), blank=True)
    at = models.DateTimeField(_("审批时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["claim", "level"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "level"], name="claims_claimapproval_one_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} L{self.level} {self.decision}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    DOCUMENT = "document", _("文件")


class ClaimAttachment(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=claim_file_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请附件")
        verbose_name_plural = _("申请附件")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", _("待入账")
    BOOKED = "booked", _("已入账")


class WriteOff(models.Model):
    """核销 entry of an approved claim, for finance to book."""

    claim = models.OneToOneField(
        Claim, verbose_name=_("赔偿申请"), on_delete=models.PROTECT, related_name="write_off_entry"
    )
    number = models.CharField(_("核销编号"), max_length=30, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    voucher_number = models.CharField(_("记账凭证号"), max_length=40, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("入账人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    booked_at = models.DateTimeField(_("入账时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("核销记录")
        verbose_name_plural = _("核销记录")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["branch", "status", "created_at"], name="claims_writeoff_list_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", booked_at__isnull=True)
                | Q(status="booked", booked_at__isnull=False) & ~Q(voucher_number=""),
                name="claims_writeoff_booked_with_voucher",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class FeeQuote(models.Model):
    """收费告知: the fee of a paid service told to the customer, and agreed, before the work
    (§5 第三十条 收费事先告知; §1-3.3.4 no fees beyond the approved paid service)."""

    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="fee_quotes"
    )
    amount = models.DecimalField(_("告知金额(元)"), max_digits=10, decimal_places=2)
    description = models.CharField(_("收费项目"), max_length=200)
    agreed_by = models.CharField(_("同意收费的客户"), max_length=60)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("告知人"), on_delete=models.PROTECT, related_name="+"
    )
    told_at = models.DateTimeField(_("告知时间"), default=timezone.now)

    class Meta:
        verbose_name = _("收费告知")
        verbose_name_plural = _("收费告知")
        ordering = ["ticket", "told_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claims_feequote_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ¥{self.amount}"


class FeeHandover(models.Model):
    """A collected service fee handed to finance (§1-3.3.4 handed in in full, §7-十): finance confirms
    receipt, then invoices it (on the day of the return, §7-十三). One per signed service report."""

    report = models.OneToOneField(
        "tickets.ServiceReport", verbose_name=_("服务报告"), on_delete=models.PROTECT, related_name="handover"
    )
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("技术员"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("金额(元)"), max_digits=10, decimal_places=2)
    payment_method = models.CharField(_("付款方式"), max_length=10)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收款会计"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("收款时间"), default=timezone.now)
    invoice_number = models.CharField(_("发票号"), max_length=40, blank=True)
    invoice_date = models.DateField(_("开票日期"), null=True, blank=True)
    invoiced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开票人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("服务费交款")
        verbose_name_plural = _("服务费交款")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claims_feehandover_amount_positive"),
            models.CheckConstraint(
                condition=Q(invoice_number="", invoice_date__isnull=True)
                | ~Q(invoice_number="") & Q(invoice_date__isnull=False),
                name="claims_feehandover_invoice_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.amount}"

    @property
    def is_invoiced(self) -> bool:
        return bool(self.invoice_number)
