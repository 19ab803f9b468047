"""Follow-up calls (回访, §2-三), satisfaction surveys (§7-二十二~二十五) and complaints (§7-二十六~二十八).

Write paths are in `surveys.services`; the satisfaction arithmetic in `surveys.scoring` (pure).
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import BranchScopedQuerySet
from surveys.scoring import QUESTION_FIELDS, SATISFIED_LEVELS, Level, Tally


class Outcome(models.TextChoices):
    PENDING = "pending", _("待回访")
    REACHED = "reached", _("已回访")
    UNREACHABLE = "unreachable", _("无法联系")
    CANCELLED = "cancelled", _("已取消")


class FollowUpCallQuerySet(BranchScopedQuerySet):
    technician_field = None

    def pending(self) -> FollowUpCallQuerySet:
        return self.filter(outcome=Outcome.PENDING)

    def due(self, day: datetime.date) -> FollowUpCallQuerySet:
        """Pending calls due on `day` or earlier (a call missed yesterday stays in the queue)."""
        return self.pending().filter(due_on__lte=day)

    def for_queue(self) -> FollowUpCallQuerySet:
        """Everything a row of the 今日回访 queue shows, in one query (phones in one more)."""
        return (
            self.select_related(
                "ticket__customer", "ticket__unit__product_model", "ticket__technician", "ticket__survey"
            )
            .prefetch_related("ticket__customer__phones")
            .order_by("due_on", "pk")
        )


class FollowUpCall(models.Model):
    """One scheduled follow-up call of an accepted ticket, at `offset` days after acceptance (§2-三-2).

    Created by `surveys.services.schedule_follow_ups` when the ticket is accepted. A call nobody
    answers is moved to the next day (`attempts` counts the tries) until the configured maximum,
    then it is `unreachable`. Reopening the ticket cancels the pending calls.
    """

    ticket = models.ForeignKey(
        "tickets.RepairTicket",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        related_name="follow_up_calls",
    )
    # The ticket's branch, copied so that the branch queue reads one partial index.
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    offset = models.PositiveSmallIntegerField(_("验收后天数"))
    due_on = models.DateField(_("回访日期"))
    outcome = models.CharField(_("回访结果"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    attempts = models.PositiveSmallIntegerField(_("拨打次数"), default=0)
    last_attempt_at = models.DateTimeField(_("最近拨打时间"), null=True, blank=True)
    satisfied = models.BooleanField(_("客户满意"), null=True, blank=True)
    problem_found = models.BooleanField(_("发现问题"), default=False)
    notes = models.TextField(_("回访记录"), blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = FollowUpCallQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访电话")
        verbose_name_plural = _("回访电话")
        ordering = ["due_on", "pk"]
        constraints = [
            # Scheduling twice (a repeated signal, a double accept) cannot duplicate a pending call.
            models.UniqueConstraint(
                fields=["ticket", "offset"],
                condition=Q(outcome="pending"),
                name="surveys_followupcall_once_per_offset",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["pending", "cancelled"]) | Q(done_at__isnull=False),
                name="surveys_followupcall_done_at_when_done",
            ),
        ]
        indexes = [
            # The branch's call queue and the morning count (views.call_queue, tasks.morning_call_queue).
            models.Index(
                fields=["branch", "due_on", "id"],
                name="surveys_call_queue_idx",
                condition=Q(outcome="pending"),
            ),
            # Monthly summary of follow-up findings (reports): calls done per month.
            models.Index(fields=["branch", "done_at"], name="surveys_call_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} +{self.offset}d"

    def get_absolute_url(self) -> str:
        return reverse("surveys:call", args=[self.pk])


class AnsweredVia(models.TextChoices):
    AGENT = "agent", _("电话回访")
    LINK = "link", _("客户链接")
    CHANNEL = "channel", _("客户自助服务")


class SurveyQuerySet(models.QuerySet):
    def answered(self) -> SurveyQuerySet:
        return self.filter(answered_at__isnull=False)

    def satisfaction_tally(self) -> Tally:
        """The `surveys.scoring.Tally` of the answered surveys in this queryset, counted in SQL."""
        row = self.answered().aggregate(**_TALLY_COUNTS)
        return _tally(row)

    def satisfaction_by(self, field: str) -> dict:
        """{value of `field`: Tally} over the answered surveys, e.g. `satisfaction_by("technician")` for
        the monthly appraisal (§7-二十三) or `satisfaction_by("branch")`; one GROUP BY query."""
        rows = self.answered().order_by().values(field).annotate(**_TALLY_COUNTS)
        return {row[field]: _tally(row) for row in rows}


_TALLY_COUNTS = {
    "surveys": Count("pk"),
    **{
        f"satisfied_{name}": Count("pk", filter=Q(**{f"{name}__in": sorted(SATISFIED_LEVELS)}))
        for name in QUESTION_FIELDS
    },
}


def _tally(row: dict) -> Tally:
    return Tally(
        satisfied=sum(row[f"satisfied_{name}"] for name in QUESTION_FIELDS),
        answers=row["surveys"] * len(QUESTION_FIELDS),
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _level_field(label):
    return models.PositiveSmallIntegerField(label, choices=Level.choices, null=True, blank=True)


class Survey(models.Model):
    """The satisfaction survey of one ticket: every accepted ticket gets one, not a sample (§7-二十四).

    Answered once, by an agent during the follow-up call or by the customer from a link. The link's
    token is never kept: only its SHA-256 (`token_hash`), so a copy of the database cannot answer
    anyone's survey (the SMS that carries it holds it only until it has gone: `forget_link`); the agent
    can issue a fresh link (which voids the previous one) at any time.
    """

    ticket = models.OneToOneField(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="survey"
    )
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    # The technician rated (§7-二十三: the rating is part of their monthly appraisal), as at acceptance.
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("技术员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    attitude = _level_field(_("服务态度"))
    skill = _level_field(_("技术水平"))
    punctuality = _level_field(_("到达时间"))
    promises = _level_field(_("答应事情的办理"))
    comment = models.TextField(_("意见或建议"), blank=True)
    answered_at = models.DateTimeField(_("答卷时间"), null=True, blank=True)
    answered_via = models.CharField(_("答卷方式"), max_length=8, choices=AnsweredVia.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    token_hash = models.CharField(_("链接令牌摘要"), max_length=64, unique=True, null=True, blank=True)
    token_expires_at = models.DateTimeField(_("链接有效期至"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(answered_at__isnull=True, answered_via="")
                    & Q(**{f"{name}__isnull": True for name in QUESTION_FIELDS})
                )
                | (
                    Q(answered_at__isnull=False)
                    & ~Q(answered_via="")
                    & Q(**{f"{name}__isnull": False for name in QUESTION_FIELDS})
                ),
                name="surveys_survey_answered_completely",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (1, 4)}),
                    name=f"surveys_survey_{name}_level",
                )
                for name in QUESTION_FIELDS
            ),
        ]
        indexes = [
            # Monthly satisfaction per branch and per technician (reports).
            models.Index(fields=["branch", "answered_at"], name="surveys_survey_branch_idx"),
            models.Index(fields=["technician", "answered_at"], name="surveys_survey_tech_idx"),
            # The monthly report and the trend of months not summarised yet, all branches (reports).
            models.Index(
                fields=["answered_at"],
                name="surveys_survey_answered_idx",
                condition=Q(answered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return str(self.ticket)

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def answers(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in QUESTION_FIELDS}

    @property
    def has_dissatisfied_answer(self) -> bool:
        """An answer of 不满意: a complaint worth registering (§7-二十三 抱怨)."""
        return self.is_answered and Level.DISSATISFIED in self.answers().values()

    def link_state(self, now: datetime.datetime) -> str:
        """One of "answered", "expired", "active" or "none" (no link issued yet)."""
        if self.is_answered:
            return "answered"
        if not self.token_hash:
            return "none"
        if self.token_expires_at is None or self.token_expires_at <= now:
            return "expired"
        return "active"


class ComplaintSource(models.TextChoices):
    CALL = "call", _("来电")
    LETTER = "letter", _("来信")
    SURVEY = "survey", _("满意度调查")
    FOLLOW_UP = "follow_up", _("回访")
    # Raised by the customer on their ticket's page in their own channel (portal, issue #17).
    CHANNEL = "channel", _("客户自助投诉")


# What staff choose when they log a complaint themselves (the channel's come from the customer only).
STAFF_SOURCES = [
    (value, label) for value, label in ComplaintSource.choices if value != ComplaintSource.CHANNEL
]


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    MAJOR = "major", _("重大")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("待提方案")
    PLANNED = "planned", _("处理中")
    CLOSED = "closed", _("已关闭")


class AnswerChannel(models.TextChoices):
    WRITTEN = "written", _("书面")
    PHONE = "phone", _("电话")


class ComplaintQuerySet(BranchScopedQuerySet):
    technician_field = None

    def for_list(self) -> ComplaintQuerySet:
        return self.select_related("branch", "ticket", "customer").order_by("-received_at", "-pk")


class Complaint(models.Model):
    """A customer's complaint (抱怨) and its handling: analysed with a plan within 72 hours (§2-二-2(2)),
    major ones to the vice president (§7-二十六), a visit by the supervisor or their delegate whatever its
    size (§7-二十八), the answer to the customer in writing or by phone (§7-二十六), then closed.
    """

    number = models.CharField(_("投诉编号"), max_length=30, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="complaints"
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket",
        verbose_name=_("相关工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=24, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=ComplaintSource.choices)
    follow_up_call = models.OneToOneField(
        FollowUpCall,
        verbose_name=_("来自回访"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaint",
    )
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Severity.choices, default=Severity.GENERAL
    )
    # Counted in the service-caused complaint rate (§1-3.2.1: < 3 %).
    service_at_fault = models.BooleanField(_("服务责任"), default=False)
    description = models.TextField(_("投诉内容"))
    state = models.CharField(
        _("状态"), max_length=10, choices=ComplaintState.choices, default=ComplaintState.RECEIVED
    )
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    # None: the customer raised it in their channel (source 客户自助投诉); nobody at the desk took it.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    plan_due_at = models.DateTimeField(_("方案期限"))
    plan = models.TextField(_("处理方案"), blank=True)
    planned_at = models.DateTimeField(_("方案时间"), null=True, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("方案制定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("走访时间"), null=True, blank=True)
    visit_notes = models.TextField(_("走访记录"), blank=True)
    answer_channel = models.CharField(_("答复方式"), max_length=8, choices=AnswerChannel.choices, blank=True)
    answer_text = models.TextField(_("答复内容"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户投诉")
        verbose_name_plural = _("客户投诉")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="received") | (Q(planned_at__isnull=False) & ~Q(plan="")),
                name="surveys_complaint_planned_has_plan",
            ),
            # §7-二十八 and §7-二十六: no closure without the visit and the answer to the customer.
            models.CheckConstraint(
                condition=~Q(state="closed")
                | Q(closed_at__isnull=False, visited_at__isnull=False, answered_at__isnull=False),
                name="surveys_complaint_closed_when_visited_and_answered",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer_channel=""),
                name="surveys_complaint_answer_has_channel",
            ),
        ]
        indexes = [
            # The complaint list: a branch's complaints, newest first (views.complaint_list).
            models.Index(fields=["branch", "state", "received_at"], name="surveys_complaint_list_idx"),
            # tasks.complaint_plan_reminders: plans still due.
            models.Index(
                fields=["plan_due_at"], name="surveys_complaint_plan_due_idx", condition=Q(state="received")
            ),
            # Complaint-rate KPI by month (reports).
            models.Index(fields=["received_at"], name="surveys_complaint_month_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("surveys:complaint", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state != ComplaintState.CLOSED

    @property
    def plan_overdue(self) -> bool:
        return self.state == ComplaintState.RECEIVED and self.plan_due_at < timezone.now()
