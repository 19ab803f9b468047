"""SLA data: the policies (admin-edited), each ticket's deadlines per milestone, pauses and alerts.

The arithmetic lives in `tickets.sla` (pure); the write paths in `tickets.sla_services`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from customers.models import FaultCategory, ServiceZone
from tickets.choices import Channel, Priority


class Milestone(models.TextChoices):
    CONTACT = "contact", _("首次联系/答复")
    ARRIVAL = "arrival", _("到达现场")
    RESOLUTION = "resolution", _("修复验收")


class TimeBasis(models.TextChoices):
    CLOCK = "clock", _("自然小时")
    WORKING = "working", _("工作小时")


class AlertLevel(models.IntegerChoices):
    NONE = 0, _("无")
    WARNING = 1, _("预警")
    BREACH = 2, _("超时")
    ESCALATION = 3, _("升级")


def _milestone_label(template: str, milestone: str) -> str:
    return gettext(template) % {"milestone": Milestone(milestone).label}


# A lazy `_("…") % {…}` is evaluated on the spot (at import, in Chinese): these labels wait for the reader.
_lazy_milestone_label = lazy(_milestone_label, str)


def _target(milestone: str):
    hours = models.DecimalField(
        _lazy_milestone_label(gettext_noop("%(milestone)s时限(小时)"), milestone),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    basis = models.CharField(
        _lazy_milestone_label(gettext_noop("%(milestone)s计时方式"), milestone),
        max_length=8,
        choices=TimeBasis.choices,
        default=TimeBasis.CLOCK,
    )
    return hours, basis


class SlaPolicy(models.Model):
    """Which tickets a rule applies to, and its targets. Blank conditions match anything.

    For each milestone the first active policy (lowest `order`, then the oldest: lowest id) that matches
    the ticket and sets a target for that milestone decides it.
    """

    name = models.CharField(_("名称"), max_length=100)
    seed_reference = models.CharField(_("制度依据"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(
        _("匹配顺序"), default=100, help_text=_("数字小的先匹配;数字相同时先建的先匹配")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.CASCADE, null=True, blank=True
    )
    fault_category = models.CharField(_("故障类别"), max_length=20, choices=FaultCategory.choices, blank=True)
    service_zone = models.CharField(_("服务区域"), max_length=10, choices=ServiceZone.choices, blank=True)
    channel = models.CharField(_("报修方式"), max_length=10, choices=Channel.choices, blank=True)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices, blank=True)
    min_distance_km = models.DecimalField(
        _("距离大于(公里)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    max_distance_km = models.DecimalField(
        _("距离不超过(公里)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    contact_hours, contact_basis = _target(Milestone.CONTACT)
    arrival_hours, arrival_basis = _target(Milestone.ARRIVAL)
    resolution_hours, resolution_basis = _target(Milestone.RESOLUTION)

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_hours__isnull=False)
                | Q(arrival_hours__isnull=False)
                | Q(resolution_hours__isnull=False),
                name="tickets_slapolicy_has_a_target",
                violation_error_message=_("至少填写一个时限。"),
            ),
            models.CheckConstraint(
                condition=Q(min_distance_km__isnull=True)
                | Q(max_distance_km__isnull=True)
                | Q(min_distance_km__lt=models.F("max_distance_km")),
                name="tickets_slapolicy_distance_band",
                violation_error_message=_("距离下限必须小于上限。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TicketDeadline(models.Model):
    """One milestone of one ticket: when it is due, when it was met and whether in time.

    `active` is true while the clock runs (not met, ticket open, not paused); the sweep reads only
    active rows through partial indexes, so its cost follows the deadlines due, not all tickets.
    """

    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="deadlines"
    )
    milestone = models.CharField(_("节点"), max_length=12, choices=Milestone.choices)
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("时限规则"), on_delete=models.SET_NULL, null=True, blank=True
    )
    target_hours = models.DecimalField(_("时限(小时)"), max_digits=6, decimal_places=1)
    basis = models.CharField(_("计时方式"), max_length=8, choices=TimeBasis.choices)
    started_at = models.DateTimeField(_("起算时间"))
    warn_at = models.DateTimeField(_("预警时间"))
    due_at = models.DateTimeField(_("截止时间"))
    escalate_at = models.DateTimeField(_("升级时间"))
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    in_time = models.BooleanField(_("按时"), null=True)
    active = models.BooleanField(_("计时中"), default=True)
    # Working or clock hours left when the clock was paused; the due time is rebuilt from it on resume.
    remaining_hours = models.DecimalField(
        _("暂停时剩余(小时)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    alert_level = models.PositiveSmallIntegerField(
        _("已发提醒"), choices=AlertLevel.choices, default=AlertLevel.NONE
    )
    calendar_confirmed = models.BooleanField(_("日历已确认"), default=True)

    class Meta:
        verbose_name = _("工单时限")
        verbose_name_plural = _("工单时限")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "milestone"], name="tickets_deadline_once_per_milestone"
            ),
            models.CheckConstraint(
                condition=Q(warn_at__lte=models.F("due_at")) & Q(due_at__lte=models.F("escalate_at")),
                name="tickets_deadline_order",
            ),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True, in_time__isnull=True)
                | Q(met_at__isnull=False, in_time__isnull=False),
                name="tickets_deadline_in_time_when_met",
            ),
        ]
        indexes = [
            models.Index(
                fields=["warn_at"],
                name="tickets_deadline_warn_idx",
                condition=Q(active=True, alert_level__lt=1),
            ),
            models.Index(
                fields=["due_at"],
                name="tickets_deadline_due_idx",
                condition=Q(active=True, alert_level__lt=2),
            ),
            models.Index(
                fields=["escalate_at"],
                name="tickets_deadline_escalate_idx",
                condition=Q(active=True, alert_level__lt=3),
            ),
            # Timeliness KPI: met arrivals by month.
            models.Index(fields=["milestone", "met_at"], name="tickets_deadline_met_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_milestone_display()}"


class ClockPause(models.Model):
    """The ticket waits for parts or for the customer: its clocks stop until it is resumed."""

    class Reason(models.TextChoices):
        PARTS = "parts", _("等待配件")
        CUSTOMER = "customer", _("等待客户")

    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="pauses"
    )
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), default=timezone.now)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("暂停人"), on_delete=models.PROTECT, related_name="+"
    )
    resumed_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("恢复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("计时暂停")
        verbose_name_plural = _("计时暂停")
        ordering = ["-paused_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(resumed_at__isnull=True), name="tickets_one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_reason_display()}"


class SlaAlert(models.Model):
    """An alert sent for a milestone at a level: the unique constraint makes every sweep idempotent."""

    deadline = models.ForeignKey(
        TicketDeadline, verbose_name=_("时限"), on_delete=models.CASCADE, related_name="alerts"
    )
    level = models.PositiveSmallIntegerField(_("级别"), choices=AlertLevel.choices)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("时限提醒")
        verbose_name_plural = _("时限提醒")
        constraints = [
            models.UniqueConstraint(fields=["deadline", "level"], name="tickets_alert_once_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline} {self.get_level_display()}"
