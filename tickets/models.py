from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from accounts.scoping import BranchScopedQuerySet
from aftersales.errors import Conflict
from aftersales.fsm import StateFieldsOnce, ThreadSafeRefreshMixin
from aftersales.texts import Text, as_json, record, render
from customers.models import FaultCategory
from tickets.choices import Channel, Priority
from tickets.permissions import permission_for
from tickets.undo import within_the_day


class State(models.TextChoices):
    REPORTED = "reported", _("已报修")
    DISPATCHED = "dispatched", _("已派工")
    ON_SITE = "on_site", _("上门处理中")
    RMA_REQUESTED = "rma_requested", _("返厂待批")
    IN_FACTORY = "in_factory", _("返厂维修中")
    AWAITING_PICKUP = "awaiting_pickup", _("待取件")
    AWAITING_ACCEPTANCE = "awaiting_acceptance", _("待验收")
    ACCEPTED = "accepted", _("已验收")
    CLOSED = "closed", _("已回访关闭")
    CANCELLED = "cancelled", _("已取消")


# Open = work still to do for the service department; the follow-up of an accepted ticket is
# tracked by surveys, so `accepted` is not open for dispatch and SLA purposes.
OPEN_STATES = (
    State.REPORTED,
    State.DISPATCHED,
    State.ON_SITE,
    State.RMA_REQUESTED,
    State.IN_FACTORY,
    State.AWAITING_PICKUP,
    State.AWAITING_ACCEPTANCE,
)
TECHNICIAN_ACTIVE_STATES = (State.DISPATCHED, State.ON_SITE, State.IN_FACTORY)
# Labels by value, built once (lazy: each request reads them in its language). Django's get_FOO_display
# builds a dictionary of every choice at each call, ~10× a lookup; the ticket list shows 25 rows.
STATE_LABELS = dict(State.choices)
FAULT_CATEGORY_LABELS = dict(FaultCategory.choices)


class ServiceCategory(models.TextChoices):
    """Billing and daily-report categories (§7-六)."""

    PAID = "A", _("A 有偿服务")
    CONTRACT = "B", _("B 合同服务")
    FREE = "C", _("C 免费服务")
    INTERNAL = "D", _("D 内部工作")


class TicketKind(models.TextChoices):
    REPAIR = "repair", _("维修")
    MAINTENANCE = "maintenance", _("定期保养")  # generated from a contract's plan (tickets.maintenance)


class FaultCause(models.TextChoices):
    QUALITY = "quality", _("质量问题")
    CUSTOMER = "customer", _("人为损坏")
    NONE = "none", _("无故障(无理由退货)")


class RepairTicketQuerySet(BranchScopedQuerySet):
    def lock(self, pk: int, expected_version: int | None) -> RepairTicket:
        """Lock the ticket row (only it) for the caller's transaction; refuse if it changed since the
        user saw it (`expected_version`; None when the caller is not acting on what a user saw)."""
        ticket = self.select_for_update().get(pk=pk)
        if expected_version is not None and ticket.version != expected_version:
            raise Conflict(
                _("工单 %(number)s 已被他人更新(当前状态:%(state)s),请刷新页面后再操作。")
                % {"number": ticket.number, "state": ticket.get_state_display()}
            )
        return ticket

    def open(self) -> RepairTicketQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def for_list(self) -> RepairTicketQuerySet:
        """Everything the ticket list row shows, in one query."""
        return self.select_related("branch", "customer", "unit__product_model", "technician").order_by(
            "due_at", "pk"
        )

    def list_rows_only(self) -> RepairTicketQuerySet:
        """Only the columns a row of the ticket list page shows: building 25 rows with every column
        (the verdict JSON above all) cost more than the page query at 1,000,000 tickets."""
        return self.only(
            "number",
            "state",
            "priority",
            "due_at",
            "warn_at",
            "clock_paused",
            "reported_at",
            "fault_category",
            "fault_description",
            "version",
            "branch__code",
            "customer__name",
            "unit__serial_number",
            "unit__product_model__name",
            "technician__username",
            "technician__first_name",
            "technician__last_name",
            "import_batch",  # a historical ticket's state reads 已关闭(历史导入)
        )

    def for_detail(self) -> RepairTicketQuerySet:
        """A ticket's page, its report pages and its API record. Only the always-present rows are joined:
        PostgreSQL's planning grows with each outer join (the four nullable ones here, the two people, the
        fault code and the video, took it from 0.5 ms to 1.8 ms a page; issue #19): the fault code comes by
        prefetch, the people when asked for (the page reads both in one query: `tickets.selectors.with_people`),
        and the page reads a maintenance visit and a customer's photos apart (`with_maintenance_visit`,
        `fault_media`), only for the tickets that have them."""
        return self.select_related(
            "branch",
            "customer",
            "unit__product_model__warranty_policy",
        ).prefetch_related(
            "fault_code",  # no query when the ticket has none
            "customer__phones",
            "helpers",
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor").order_by("at", "pk")),
            # The page names each milestone's policy: joined here, not one query per milestone.
            Prefetch("deadlines", queryset=TicketDeadline.objects.select_related("policy")),
        )

    def for_board(self) -> RepairTicketQuerySet:
        """The waiting tickets of the dispatch board and the timeline, with what their cards and the
        dispatch suggestions read: not the search text, the stored verdict (JSON) and the rest of a wide
        row, which cost more to fetch and build than the cards to draw (issue #19)."""
        return (
            self.filter(state=State.REPORTED)
            .select_related("customer", "unit__product_model")
            .only(*BOARD_FIELDS)
            .order_by("due_at", "pk")
        )

    def visible_to(self, user):
        """As every branch-scoped model, and a technician also sees the jobs they help on (R1.two-people)."""
        if (
            user.is_authenticated
            and user.is_active
            and user.is_technician_only
            and not user.sees_all_branches
        ):
            return self.filter(Q(technician=user) | Q(pk__in=helped_ticket_ids(user)))
        return super().visible_to(user)

    @staticmethod
    def only_branch_visible_to(user) -> int | None:
        """The one branch `visible_to(user)` limits the rows to, or None (every branch, or a technician's
        jobs, which may be another branch's when they help): the list's search reads that branch's keys."""
        if user.sees_all_branches or user.is_technician_only:
            return None
        return user.branch_id

    def for_technician(self, user) -> RepairTicketQuerySet:
        """我的任务: the jobs the technician leads and the ones they help on (read-only for the report)."""
        return (
            self.filter(
                Q(technician=user) | Q(pk__in=helped_ticket_ids(user)), state__in=TECHNICIAN_ACTIVE_STATES
            )
            .select_related("customer", "unit__product_model")
            .prefetch_related("customer__phones")
            .order_by("due_at", "pk")
        )


# What a waiting ticket's card on the dispatch board and the timeline shows, and what the suggestions
# (tickets.selectors.dispatch_suggestions) and the countdown (ticket_tags.due_countdown) read.
BOARD_FIELDS = (
    "number",
    "branch_id",
    "customer_id",
    "unit_id",
    "channel",
    "priority",
    "fault_category",
    "fault_description",
    "warranty_remedy",
    "state",
    "version",
    "technician_id",
    "due_at",
    "warn_at",
    "clock_paused",
    "reported_at",
    "appointment_start",
    "appointment_end",
    "customer__name",
    "customer__service_zone",
    "customer__distance_km",
    "unit__product_model_id",
    "unit__product_model__code",
    "unit__product_model__name",
    "unit__product_model__category",
)


def has_signed_report(ticket: RepairTicket) -> bool:
    """complete_visit guard: the customer signed this visit's service report."""
    return ticket.report_signed


def accepted_today(ticket: RepairTicket) -> bool:
    """undo_accept guard: the acceptance was today (tickets.undo)."""
    return within_the_day(ticket.accepted_at, timezone.now(), timezone.get_default_timezone())


def cancelled_today(ticket: RepairTicket) -> bool:
    """undo_cancel guard: the cancellation (it sets closed_at) was today (tickets.undo)."""
    return within_the_day(ticket.closed_at, timezone.now(), timezone.get_default_timezone())


class RepairTicket(ThreadSafeRefreshMixin, StateFieldsOnce, ConcurrentTransitionMixin, models.Model):
    """One repair call (叫修) from its registration to the follow-up call (DESIGN §3).

    `state` only changes through the decorated transitions, and they are only called by
    `tickets.services.apply_transition`, which locks the row, checks `version` (so a user acting on
    a stale page loses cleanly) and writes the history row.
    """

    number = models.CharField(_("工单号"), max_length=24, unique=True)
    # No index of its own: the indexes that begin with the branch (tickets_branch_due_idx and others) serve
    # every lookup by branch, and a one-column index only led the planner to AND a bitmap of a branch's
    # 400,000 tickets with a search's few hundred matches (docs/performance.md, issue #16).
    branch = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("网点"),
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="tickets"
    )
    unit = models.ForeignKey(
        "customers.Unit", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="tickets"
    )
    # None: the customer reported it themselves (channel 客户自助报修).
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    kind = models.CharField(
        _("工单类型"), max_length=12, choices=TicketKind.choices, default=TicketKind.REPAIR
    )
    channel = models.CharField(_("报修方式"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    fault_category = models.CharField(_("故障类别"), max_length=20, choices=FaultCategory.choices)
    fault_description = models.TextField(_("故障描述"))
    # The library's code for the fault (tickets.faultcodes), picked at intake or in the report; the
    # description stays free text, and a fault the library lacks has no code.
    fault_code = models.ForeignKey(
        "tickets.FaultCode",
        verbose_name=_("故障代码"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    # What the list's search box matches (tickets.search): number, customer name and phones, serial
    # number, fault description. Written by tickets.services; trigram and two-character indexes on
    # PostgreSQL (migration 0023).
    search_text = models.TextField(_("搜索文本"), default="", editable=False)
    fault_cause = models.CharField(
        _("故障原因"), max_length=10, choices=FaultCause.choices, default=FaultCause.QUALITY
    )
    conditions = models.JSONField(_("附加情形"), default=list, blank=True)
    service_category = models.CharField(
        _("服务类别"), max_length=1, choices=ServiceCategory.choices, default=ServiceCategory.FREE
    )
    warranty_remedy = models.CharField(_("保修结论"), max_length=12, blank=True)
    warranty_decision = models.JSONField(_("保修判定"), default=dict, blank=True)
    # The latest 收费告知 (kept by claims.fee_services.record_fee_quote): the report's fee step starts
    # from it, since tickets may not read the claims app's quotes.
    quoted_fee = models.DecimalField(
        _("告知服务费(元)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    state = FSMField(_("状态"), default=State.REPORTED, choices=State.choices, protected=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("技术员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    # 两人以上外出 (seed §1-3.3, R1.two-people): `technician` is the lead (负责人), who writes and has the
    # report signed; the helpers go along and appear on the voucher and in their own daily reports.
    helpers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("协助技术员"),
        through="TicketHelper",
        related_name="helped_tickets",
        blank=True,
    )
    # The next SLA deadline and its warning time, kept by tickets.sla_services from the ticket's
    # TicketDeadline rows so that lists sort and colour by them without a join.
    due_at = models.DateTimeField(_("下一期限"))
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    clock_paused = models.BooleanField(_("计时暂停"), default=False)
    reported_at = models.DateTimeField(_("报修时间"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("派工时间"), null=True, blank=True)
    # 出发 (on the way): the technician's last departure to this visit, for 在途 and the travel time.
    departed_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完工时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # When the ticket entered its present state (set by apply_transition): "waiting since" in queues.
    state_changed_at = models.DateTimeField(_("进入当前状态时间"), default=timezone.now)
    # 预约时间段: the visit's window agreed with the customer (issue #18), both set or both empty. The
    # arrival deadline is its end (tickets.sla.appointment_times); changes go through
    # tickets.services.set_appointment, which records who asked and why.
    appointment_start = models.DateTimeField(_("预约开始"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("预约结束"), null=True, blank=True)
    work_summary = models.TextField(_("处理结果"), blank=True)
    repeat_count = models.PositiveIntegerField(_("返修次数"), default=0)
    # Check-ins so far: the service report of a visit is keyed by it (tickets.reports).
    visit_count = models.PositiveIntegerField(_("上门次数"), default=0, editable=False)
    # Kept by tickets.report_services.sign_report, cleared by check_in: lets the complete_visit guard
    # stay a pure check on this row (§1-3.3.2, no completion without the customer's signature).
    report_signed = models.BooleanField(_("服务报告已签字"), default=False, editable=False)
    # A historical ticket brought in from a department's call book (tickets.callbook): closed or
    # cancelled from the start, with the technician's name as written there when no user has it, and
    # the fee it recorded (it has no service report).
    import_batch = models.ForeignKey(
        "customers.ImportBatch",
        verbose_name=_("导入批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    imported_technician = models.CharField(_("技术员(导入)"), max_length=60, blank=True, editable=False)
    imported_fee = models.DecimalField(
        _("服务费(导入,元)"), max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )

    objects = RepairTicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("维修工单")
        verbose_name_plural = _("维修工单")
        ordering = ["due_at"]
        indexes = [
            # Ticket list: filtered by branch (and usually state), sorted by deadline (views.ticket_list).
            models.Index(fields=["branch", "state", "due_at"], name="tickets_branch_state_due_idx"),
            models.Index(fields=["state", "due_at"], name="tickets_state_due_idx"),
            # The list of open tickets (?state=open, the dispatcher's working list) in its own order, so
            # page 1 reads 25 index entries instead of sorting the branch's open tickets (273 → 41 ms at
            # 1,000,000 tickets, docs/performance.md). The predicate must stay equal to OPEN_STATES.
            models.Index(
                fields=["branch", "due_at", "id"],
                name="tickets_open_branch_due_idx",
                condition=Q(state__in=[state.value for state in OPEN_STATES]),
            ),
            # The same for headquarters, who see every branch.
            models.Index(
                fields=["due_at", "id"],
                name="tickets_open_due_idx",
                condition=Q(state__in=[state.value for state in OPEN_STATES]),
            ),
            # The list with no state filter, sorted by deadline (845 → 53 ms).
            models.Index(fields=["branch", "due_at", "id"], name="tickets_branch_due_idx"),
            # Technician's jobs (views.my_jobs) and the dispatch board's load counts.
            models.Index(
                fields=["technician", "due_at"],
                name="tickets_tech_active_due_idx",
                condition=Q(state__in=["dispatched", "on_site", "in_factory"]),
            ),
            # KPI dashboard (reports.kpis): tickets per month and category, finished repairs per month.
            models.Index(fields=["reported_at", "service_category"], name="tickets_reported_category_idx"),
            models.Index(
                fields=["completed_at"], name="tickets_completed_idx", condition=Q(completed_at__isnull=False)
            ),
            # Dispatch board: unassigned tickets by deadline (views.dispatch_board).
            models.Index(
                fields=["branch", "due_at"], name="tickets_unassigned_due_idx", condition=Q(state="reported")
            ),
            # Its first two parts, the urgent calls and those customers reported themselves, each a few of
            # the branch's waiting tickets: read in order from their own index, not filtered out of all
            # the waiting ones (14,000 at 1,000,000 tickets), and the self-reported ones counted from it
            # (the count read 13,000 heap pages for none: 20–70 ms; issue #19).
            models.Index(
                fields=["branch", "due_at", "id"],
                name="tickets_urgent_waiting_idx",
                condition=Q(state="reported", priority="urgent"),
            ),
            models.Index(
                fields=["branch", "due_at", "id"],
                name="tickets_self_waiting_idx",
                condition=Q(state="reported", channel="self"),
            ),
            # Approvals inbox: returns to factory waiting for the supervisor, oldest request first.
            models.Index(
                fields=["branch", "state_changed_at"],
                name="tickets_rma_waiting_idx",
                condition=Q(state="rma_requested"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["reported", "cancelled", "rma_requested"])
                | Q(technician__isnull=False)
                | Q(import_batch__isnull=False),
                name="tickets_repairticket_assigned_when_dispatched",
            ),
            models.CheckConstraint(
                condition=Q(appointment_start__isnull=True, appointment_end__isnull=True)
                | Q(appointment_end__gt=models.F("appointment_start")),
                name="tickets_repairticket_appointment_window",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.pk])

    def get_state_display(self) -> str:
        """Django's, from STATE_LABELS (Django leaves a get_FOO_display the model defines alone)."""
        return str(STATE_LABELS.get(self.state, self.state))

    def get_fault_category_display(self) -> str:
        return str(FAULT_CATEGORY_LABELS.get(self.fault_category, self.fault_category))

    @property
    def state_label(self) -> str:
        """The state as people read it; a historical ticket says it was imported closed (or cancelled), not
        that it went through this system's steps (已回访关闭 claims a follow-up it never had)."""
        if not self.import_batch_id:
            return self.get_state_display()
        return str(_("已关闭(历史导入)") if self.state == State.CLOSED else _("已取消(历史导入)"))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def is_on_the_way(self) -> bool:
        """在途: the technician set off (出发) and has not checked in yet."""
        return self.state == State.DISPATCHED and self.departed_at is not None

    @property
    def travel_time(self) -> datetime.timedelta | None:
        """From 出发 to 到达签到, when the technician recorded both."""
        if self.departed_at and self.arrived_at and self.arrived_at >= self.departed_at:
            return self.arrived_at - self.departed_at
        return None

    @property
    def appointment(self) -> tuple[datetime.datetime, datetime.datetime] | None:
        if self.appointment_start is None or self.appointment_end is None:
            return None
        return self.appointment_start, self.appointment_end

    def time_on_site(self, now: datetime.datetime) -> datetime.timedelta | None:
        """From 到达签到 to the visit's completion (or to `now` while the technician is still there)."""
        if self.arrived_at is None:
            return None
        end = self.completed_at if self.completed_at and self.completed_at >= self.arrived_at else now
        return end - self.arrived_at

    def finished_visit_time(self) -> datetime.timedelta | None:
        """A finished visit's time on site: to its completion, or to the request to return the unit to the
        factory when the visit ended in one (not to the end of the factory's repair, days later). Reads
        the events (`for_detail` loads them)."""
        if self.arrived_at is None:
            return None
        for event in self.events.all():
            if event.action == "request_return" and event.at >= self.arrived_at:
                return event.at - self.arrived_at
        if self.completed_at is None or self.completed_at < self.arrived_at:
            return None
        return self.completed_at - self.arrived_at

    # --- transitions (DESIGN §3). Bodies change this row only; see tickets.services. ---

    @transition(
        field=state,
        source=[State.REPORTED, State.DISPATCHED],
        target=State.DISPATCHED,
        permission=permission_for("dispatch"),
    )
    def dispatch(self, *, technician, at: datetime.datetime) -> None:
        self.technician = technician
        self.dispatched_at = at
        self.departed_at = None  # a reassigned job is not on its way with the new technician

    @transition(
        field=state, source=State.DISPATCHED, target=State.ON_SITE, permission=permission_for("check_in")
    )
    def check_in(self, *, at: datetime.datetime) -> None:
        self.arrived_at = at
        self.visit_count += 1
        self.report_signed = False

    @transition(
        field=state,
        source=State.ON_SITE,
        target=State.AWAITING_ACCEPTANCE,
        permission=permission_for("complete_visit"),
        conditions=[has_signed_report],
    )
    def complete_visit(self, *, work_summary: str, at: datetime.datetime) -> None:
        self.work_summary = work_summary
        self.completed_at = at

    @transition(
        field=state,
        source=[State.REPORTED, State.ON_SITE],
        target=State.RMA_REQUESTED,
        permission=permission_for("request_return"),
    )
    def request_return(self) -> None:
        """§3 第十条: no return to factory without an approved request."""

    @transition(
        field=state,
        source=State.RMA_REQUESTED,
        target=State.IN_FACTORY,
        permission=permission_for("approve_return"),
    )
    def approve_return(self) -> None:
        pass

    @transition(
        field=state,
        source=State.RMA_REQUESTED,
        target=RETURN_VALUE(State.DISPATCHED, State.REPORTED),
        permission=permission_for("reject_return"),
    )
    def reject_return(self) -> str:
        """Back to dispatch: to the assigned technician if there is one, else to the queue."""
        return State.DISPATCHED if self.technician_id else State.REPORTED

    @transition(
        field=state,
        source=State.IN_FACTORY,
        target=State.AWAITING_PICKUP,
        permission=permission_for("finish_factory_repair"),
    )
    def finish_factory_repair(self, *, work_summary: str, at: datetime.datetime) -> None:
        self.work_summary = work_summary
        self.completed_at = at

    @transition(
        field=state,
        source=State.AWAITING_PICKUP,
        target=State.AWAITING_ACCEPTANCE,
        permission=permission_for("hand_over"),
    )
    def hand_over(self) -> None:
        pass

    @transition(
        field=state,
        source=State.AWAITING_ACCEPTANCE,
        target=State.ACCEPTED,
        permission=permission_for("accept"),
    )
    def accept(self, *, at: datetime.datetime) -> None:
        self.accepted_at = at

    @transition(
        field=state, source=State.ACCEPTED, target=State.CLOSED, permission=permission_for("follow_up")
    )
    def follow_up(self, *, at: datetime.datetime) -> None:
        self.closed_at = at

    @transition(
        field=state, source=list(OPEN_STATES), target=State.CANCELLED, permission=permission_for("cancel")
    )
    def cancel(self, *, at: datetime.datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.AWAITING_ACCEPTANCE,
        permission=permission_for("undo_accept"),
        conditions=[accepted_today],
    )
    def undo_accept(self) -> None:
        """An accidental 验收 taken back the same day: the report waits for acceptance again."""
        self.accepted_at = None

    @transition(
        field=state,
        source=State.CANCELLED,
        target=RETURN_VALUE(*OPEN_STATES),
        permission=permission_for("undo_cancel"),
        conditions=[cancelled_today],
    )
    def undo_cancel(self, *, restore: str) -> str:
        """An accidental 取消 taken back the same day: back to the state it was cancelled from."""
        self.closed_at = None
        return restore

    @transition(
        field=state,
        source=[State.ACCEPTED, State.CLOSED],
        target=State.REPORTED,
        permission=permission_for("reopen"),
    )
    def reopen(self, *, due_at: datetime.datetime) -> None:
        """Same fault again: a repeat repair (it extends the warranty, §3 第八条)."""
        self.repeat_count += 1
        self.technician = None
        self.dispatched_at = self.departed_at = self.arrived_at = self.completed_at = None
        self.accepted_at = self.closed_at = None
        self.due_at = due_at


class TicketEvent(models.Model):
    """Append-only history of a ticket: one row per transition (who, when, from, to, note)."""

    ticket = models.ForeignKey(RepairTicket, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    action = models.CharField(_("操作"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    note = models.TextField(_("说明"), blank=True)
    # A note the system wrote from a rule, as its message code (aftersales.texts): shown in the reader's
    # language; `note` keeps the Chinese record (a person's note has no code).
    note_message = models.JSONField(_("说明(消息代码)"), default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="tickets_event_ticket_at_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def note_text(self) -> str:
        """The note in the reader's language (a person's note as written)."""
        return render(self.note_message, self.note)


class TicketHelper(models.Model):
    """A technician sent along with the lead on a two-person job (set by tickets.services at dispatch)."""

    ticket = models.ForeignKey(RepairTicket, on_delete=models.CASCADE, related_name="helper_links")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("协助技术员"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("派工时间"), default=timezone.now)

    class Meta:
        verbose_name = _("协助技术员")
        verbose_name_plural = _("协助技术员")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "technician"], name="tickets_helper_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.technician_id}"


def helped_ticket_ids(user) -> models.QuerySet:
    """The ids of the tickets `user` helps on, as a subquery (no join that would repeat a ticket)."""
    return TicketHelper.objects.filter(technician=user).values("ticket_id")


def event_note(note: str | Text) -> dict:
    """The note fields of a history row: the Chinese record and, for a rule-made note, its code."""
    return {"note": record(note), "note_message": as_json(note)}


def fault_photo_path(instance, filename: str) -> str:
    return f"fault-photos/{timezone.now():%Y/%m}/{filename}"


class FaultPhoto(models.Model):
    """A photo of the fault the customer added when reporting it (portal); checked and shrunk on upload."""

    ticket = models.ForeignKey(RepairTicket, on_delete=models.CASCADE, related_name="fault_photos")
    image = models.ImageField(_("照片"), upload_to=fault_photo_path)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("故障照片")
        verbose_name_plural = _("故障照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


def fault_video_path(instance, filename: str) -> str:
    return f"fault-videos/{timezone.now():%Y/%m}/{filename}"


class FaultVideo(models.Model):
    """The one short video of the fault the customer may add when reporting it (portal); its type checked
    by content and its size bounded on upload (aftersales.uploads.prepare_video), kept as sent."""

    ticket = models.OneToOneField(RepairTicket, on_delete=models.CASCADE, related_name="fault_video")
    file = models.FileField(_("视频"), upload_to=fault_video_path)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("故障视频")
        verbose_name_plural = _("故障视频")

    def __str__(self) -> str:
        return self.file.name


class SavedTicketFilter(models.Model):
    """A ticket list filter a user named and keeps (issue #16): the list's query string."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_filters"
    )
    name = models.CharField(_("名称"), max_length=40)
    query = models.CharField(_("筛选条件"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已保存的筛选")
        verbose_name_plural = _("已保存的筛选")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="tickets_savedticketfilter_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


TRANSITION_LABELS = {
    "log_call": _("登记报修"),
    "dispatch": _("派工"),
    "depart": _("出发"),
    "check_in": _("到达签到"),
    "complete_visit": _("完成上门服务"),
    "request_return": _("申请返厂"),
    "approve_return": _("批准返厂"),
    "reject_return": _("驳回返厂"),
    "finish_factory_repair": _("返厂维修完成"),
    "hand_over": _("交付客户"),
    "accept": _("验收"),
    "follow_up": _("回访关闭"),
    "cancel": _("取消工单"),
    "portal_link": _("发送客户自助服务链接"),
    "reopen": _("重新报修(返修)"),
    "undo_accept": _("撤销验收"),
    "undo_cancel": _("撤销取消"),
    "revise_verdict": _("修改故障原因,重新判定保修"),
    "start_report": _("开始填写服务报告"),
    "sign_report": _("客户签字确认服务报告"),
    "report_addendum": _("服务报告补充说明"),
    "fault_code": _("选定故障代码"),
    "goods_in": _("客户商品入库登记"),
    "notify_pickup": _("通知客户取件"),
    "goods_out": _("客户商品出库"),
    "contact": _("联系客户"),
    "pause_clock": _("暂停计时"),
    "set_appointment": _("约定预约时间"),
    "resume_clock": _("恢复计时"),
    # The customer in their own channel (portal, issue #17).
    "complaint": _("客户投诉"),
    "survey_answered": _("客户提交满意度评价"),
}


# The service report models live in their own module; importing them here registers them.
from tickets.faultcodes import FaultCode  # noqa: E402, F401
from tickets.maintenance import MaintenanceVisit, VisitStatus  # noqa: E402, F401
from tickets.reports import (  # noqa: E402, F401
    ServiceReport,
    ServiceReportAddendum,
    ServiceReportPart,
    ServiceReportPhoto,
)
from tickets.returns import (  # noqa: E402, F401
    GoodsRegisterEntry,
    OutKind,
    PickupReceipt,
    RepairTag,
)
from tickets.sla_models import (  # noqa: E402, F401
    AlertLevel,
    ClockPause,
    Milestone,
    SlaAlert,
    SlaPolicy,
    TicketDeadline,
    TimeBasis,
)
