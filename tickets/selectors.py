"""Read queries of the tickets app that views, the API and the pages of other apps share."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.db import connection, connections, router
from django.db.models import (
    BooleanField,
    Count,
    F,
    Func,
    Prefetch,
    Q,
    TextField,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch, TechnicianLeave, TechnicianProfile, TechnicianSkill, User
from aftersales.categories import ServiceZone
from customers.models import Customer, FaultCategory, ProductModel, Unit
from tickets import dispatch_rules
from tickets.models import (
    OPEN_STATES,
    TECHNICIAN_ACTIVE_STATES,
    Channel,
    FaultCause,
    FaultCode,
    FaultPhoto,
    FaultVideo,
    GoodsRegisterEntry,
    MaintenanceVisit,
    RepairTicket,
    ServiceReport,
    State,
    TicketKind,
    VisitStatus,
)
from tickets.search import MIN_TERM, WORD_END, branch_key, number_end, search_terms, ticket_number
from warranty import rules
from warranty.services import decide_for_unit


class BranchBigrams(Func):
    """The two-character pieces of a ticket's search text, alone and within its branch (migration 0030's
    immutable `tickets_branch_bigrams(branch_id, search_text)`; PostgreSQL)."""

    function = "tickets_branch_bigrams"
    output_field = ArrayField(TextField())


class NumberEnds(Func):
    """The ends of the numbers in a ticket's search text, alone and within its branch (migration 0028's
    immutable `tickets_number_ends(branch_id, search_text)`; PostgreSQL)."""

    function = "tickets_number_ends"
    output_field = ArrayField(TextField())


class InText(Func):
    """`strpos(text, term) <> 0`: the term is in the text (PostgreSQL). Beside the index of pieces it
    runs first where the planner walks the list's order and filters row by row (a C call, where the
    pieces are an SQL function, ~0.2 ms a row), and its estimate is nearly 1 (no statistics), so the
    pieces' estimate alone chooses the plan: a LIKE there would multiply two estimates of the same fact
    and send a common word (换挡, 7,000 in the branch) to a bitmap of the whole branch (1.5 s)."""

    function = "strpos"
    template = "%(function)s(%(expressions)s) <> 0"
    output_field = BooleanField()


def _contains(text: str, branch_id: int | None) -> Q:
    """Tickets whose search text contains `text` (upper case, at least tickets.search.MIN_TERM long).

    On PostgreSQL a LIKE '%…%' on the text's trigram index; a two-character term has no trigram and uses
    the index of the text's two-character pieces instead, with `InText` beside it; three to six digits the
    index of the numbers' ends (tickets.search.number_end). Those two indexes are read within `branch_id`
    when the rows are limited to that branch. Elsewhere (SQLite under make run) a scan."""
    if ticket_number(text):
        if not text[0].isdigit():  # SH-20261205-0042
            return Q(number=text)
        # 20261205-0042 without its branch: the number in any branch (one unique-index lookup each).
        return Q(number__in=Branch.objects.annotate(full=Concat("code", Value(f"-{text}"))).values("full"))
    if number_end(text):
        # The index of the numbers' ends; `InText` beside it, as for two characters, so that a walk in
        # the list's order calls the SQL function only on the rows that hold the digits at all.
        if connection.vendor == "postgresql":
            key = branch_key(text, branch_id)
            return Q(InText(F("search_text"), Value(text))) & Q(number_ends__contains=[key])
        return Q(search_text__regex=f"{text}(?=[{WORD_END}]|$)")
    if len(text) == MIN_TERM and connection.vendor == "postgresql":
        key = branch_key(text, branch_id)
        return Q(InText(F("search_text"), Value(text))) & Q(search_bigrams__contains=[key])
    return Q(search_text__contains=text)


def with_maintenance_visit(ticket: RepairTicket) -> RepairTicket:
    """A maintenance ticket with its visit and the visit's contract read (one query); any other ticket as
    it is, without a query: it has no visit (RepairTicket.objects.for_detail leaves them out)."""
    if ticket.kind == TicketKind.MAINTENANCE:
        visits = MaintenanceVisit.objects.select_related("contract")
        prefetch_related_objects([ticket], Prefetch("maintenance_visit", queryset=visits))
    return ticket


def with_people(ticket: RepairTicket) -> RepairTicket:
    """The ticket with its technician and the user who logged it, read in one query (two otherwise)."""
    ids = {ticket.technician_id, ticket.reported_by_id} - {None}
    people = User.objects.in_bulk(ids) if ids else {}
    ticket.technician = people.get(ticket.technician_id)
    ticket.reported_by = people.get(ticket.reported_by_id)
    return ticket


def fault_media(ticket: RepairTicket) -> tuple[list[FaultPhoto], FaultVideo | None]:
    """The photos and the video of a fault, for its ticket's page. Only the customer's own report sends
    them (services.log_self_reported_call, their one writer): a call logged at the desk asks nothing."""
    if ticket.channel != Channel.SELF:
        return [], None
    return list(ticket.fault_photos.all()), FaultVideo.objects.filter(ticket=ticket).first()


def filtered_tickets(user: User, form):
    """The ticket list's rows for a bound `TicketFilterForm` (an invalid form filters nothing, but a
    search too short to run finds nothing: the form says why)."""
    tickets = RepairTicket.objects.visible_to(user).for_list()
    if not form.is_valid():
        return tickets.none() if "q" in form.errors else tickets
    data = form.cleaned_data
    if data["state"] == "open":
        tickets = tickets.filter(state__in=OPEN_STATES)
    elif data["state"]:
        tickets = tickets.filter(state=data["state"])
    if data.get("branch"):
        tickets = tickets.filter(branch=data["branch"])
    if data["technician"]:
        tickets = tickets.filter(technician=data["technician"])
    if data["category"]:
        tickets = tickets.filter(fault_category=data["category"])
    if data["overdue"]:
        tickets = tickets.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
    tickets = _drill_down(tickets, data)
    only_branch = (
        data["branch"].pk if data.get("branch") else RepairTicket.objects.only_branch_visible_to(user)
    )
    for alternatives in search_terms(data["q"]):
        # Every term must be in the ticket's search text (tickets.search); a term's alternatives: any.
        condition = Q()
        for text in alternatives:
            condition |= _contains(text, only_branch)
        tickets = tickets.alias(
            search_bigrams=BranchBigrams("branch_id", "search_text"),
            number_ends=NumberEnds("branch_id", "search_text"),
        ).filter(condition)
    return tickets


def _drill_down(tickets, data: dict):
    """The quality page's groups (reports.quality): reported in a month, of a model, batch or fault code;
    `failures`: the quality failures among them (cause 质量问题, not cancelled)."""
    if data.get("month"):
        year, month = data["month"]
        start = datetime.datetime(year, month, 1, tzinfo=timezone.get_default_timezone())
        end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.get_default_timezone())
        tickets = tickets.filter(reported_at__gte=start, reported_at__lt=end)
    if data.get("product_model"):
        tickets = tickets.filter(unit__product_model_id=data["product_model"])
    if data.get("batch"):
        tickets = tickets.filter(unit__batch="" if data["batch"] == "-" else data["batch"])
    if data.get("fault_code"):
        code = data["fault_code"]
        tickets = (
            tickets.filter(fault_code__isnull=True)
            if code == "-"
            else tickets.filter(fault_code_id=int(code))
        )
    if data.get("failures"):
        tickets = tickets.filter(fault_cause=FaultCause.QUALITY).exclude(state=State.CANCELLED)
    return tickets


FAULT_CODE_OPTIONS = 20  # the codes a fault code field offers at a time


def offered_fault_codes(product_model_id: int | None, text: str = "") -> list[FaultCode]:
    """What a fault code field offers (intake, the report's 查 step, the search as one types): the
    product model's active codes matching `text`, the first FAULT_CODE_OPTIONS, in one query."""
    if not product_model_id:
        return []
    return list(FaultCode.objects.for_model(product_model_id).matching(text)[:FAULT_CODE_OPTIONS])


def drill_down_labels(data: dict) -> list[str]:
    """The quality page's group a drill-down lists (_drill_down), as the reader names it: the month,
    the product model's name, the batch, the fault code's symptom, not their ids (one query each for
    the model and the code)."""
    labels = []
    if data.get("month"):
        year, month = data["month"]
        labels.append(_("%(label)s:%(value)s") % {"label": _("报修月份"), "value": f"{year}-{month:02d}"})
    if data.get("product_model"):
        model = ProductModel.objects.filter(pk=data["product_model"]).first()
        labels.append(
            _("%(label)s:%(value)s")
            % {"label": ProductModel._meta.verbose_name, "value": model or data["product_model"]}
        )
    if data.get("batch"):
        batch = _("未填批次") if data["batch"] == "-" else data["batch"]
        labels.append(
            _("%(label)s:%(value)s") % {"label": Unit._meta.get_field("batch").verbose_name, "value": batch}
        )
    if data.get("fault_code"):
        code = (
            _("无故障代码")
            if data["fault_code"] == "-"
            else FaultCode.objects.filter(pk=int(data["fault_code"])).first() or data["fault_code"]
        )
        labels.append(
            _("%(label)s:%(value)s")
            % {"label": RepairTicket._meta.get_field("fault_code").verbose_name, "value": code}
        )
    if data.get("failures"):
        labels.append(_("仅质量故障"))
    return labels


# The ticket list's sortable columns (?sort=<key>, "-<key>" descending), also used by its export:
# columns of the ticket row only, so a sort reads one table (due_at and reported_at are indexed).
SORTS = {
    "number": "number",
    "state": "state",
    "priority": "priority",
    "due": "due_at",
    "reported": "reported_at",
}
DEFAULT_SORT = "due"


def clean_sort(raw: str) -> str:
    return raw if raw.removeprefix("-") in SORTS else DEFAULT_SORT


def sort_tickets(tickets, sort: str):
    direction = "-" if sort.startswith("-") else ""
    return tickets.order_by(direction + SORTS[sort.removeprefix("-")], direction + "pk")


def ticket_rows(ids, sort: str):
    """The ticket list's rows of these tickets (ids `filtered_tickets` chose, a queryset or a list), in
    the list's order."""
    return sort_tickets(RepairTicket.objects.filter(pk__in=ids).for_list().list_rows_only(), sort)


def open_tickets_of_unit(unit: Unit) -> list[RepairTicket]:
    """The unit's tickets still being worked on: intake asks before logging the same unit again."""
    return list(RepairTicket.objects.filter(unit=unit).open().order_by("reported_at"))


def finished_repairs(unit: Unit):
    return RepairTicket.objects.filter(unit=unit, completed_at__isnull=False).exclude(state=State.CANCELLED)


def finished_repairs_by_fault(unit: Unit) -> dict[str, int]:
    """Finished repairs per fault category: the unit's repeat-repair counters (§3 第八条, 三包)."""
    rows = (
        finished_repairs(unit).values("fault_category").annotate(count=Count("pk")).order_by("fault_category")
    )
    return {row["fault_category"]: row["count"] for row in rows}


def prior_repairs_same_fault(unit: Unit, fault_category: str, *, exclude_ticket_id: int | None = None) -> int:
    """Earlier finished repairs of the same kind of fault on this unit (§3 第八条)."""
    finished = finished_repairs(unit).filter(fault_category=fault_category)
    if exclude_ticket_id is not None:
        finished = finished.exclude(pk=exclude_ticket_id)
    return finished.count()


def verdict_for_unit(
    unit: Unit,
    *,
    report_date: datetime.date,
    fault: str,
    fault_category: str,
    conditions: frozenset[str] = frozenset(),
    exclude_ticket_id: int | None = None,
) -> rules.WarrantyDecision:
    """The warranty verdict for a unit on file, counting its earlier repairs of the same fault."""
    return decide_for_unit(
        unit,
        report_date=report_date,
        fault=fault,
        conditions=conditions,
        prior_repairs_same_fault=prior_repairs_same_fault(
            unit, fault_category, exclude_ticket_id=exclude_ticket_id
        ),
    )


def customer_tickets(user: User, customer: Customer):
    """The customer's tickets this user may open (a technician: only their own jobs)."""
    return (
        RepairTicket.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("unit__product_model", "technician")
        .order_by("-reported_at")
    )


def unit_service_history(user: User, unit: Unit) -> dict:
    """What the unit's page shows of its service: the tickets and signed vouchers this user may
    open, the repeat-repair counters and today's verdict for a quality fault."""
    visible = RepairTicket.objects.visible_to(user).filter(unit=unit)
    return {
        "tickets": visible.select_related("technician").order_by("-reported_at"),
        # 服务凭证 history: every signed service report of this unit, in one query.
        "vouchers": ServiceReport.objects.filter(ticket__in=visible, signed_at__isnull=False)
        .select_related("ticket")
        .order_by("-signed_at"),
        "repair_counts": [
            (FaultCategory(category).label, count)
            for category, count in finished_repairs_by_fault(unit).items()
        ],
        "verdict": verdict_for_unit(
            unit,
            report_date=timezone.localdate(),
            fault="quality",
            fault_category=unit.product_model.category,
        ).as_dict(),
    }


RECENT_UNIT_TICKETS = 5


def unit_tickets_for_intake(user: User, unit: Unit) -> dict:
    """What the intake shows of a chosen unit: every open ticket (a second call may be the same fault)
    and the last few finished or cancelled ones, each list in one query."""
    visible = RepairTicket.objects.visible_to(user).filter(unit=unit).select_related("technician")
    return {
        "open_tickets": list(visible.open().order_by("-reported_at")),
        "recent_tickets": list(
            visible.exclude(state__in=OPEN_STATES).order_by("-reported_at")[:RECENT_UNIT_TICKETS]
        ),
    }


def contract_visits(contract, today: datetime.date) -> tuple[list, dict[str, int]]:
    """The contract's visits (with their ticket and status) and the count of each status: one query."""
    visits = list(
        MaintenanceVisit.objects.filter(contract=contract)
        .select_related("ticket__technician", "unit__product_model")
        .order_by("planned_date", "unit_id")
    )
    counts = dict.fromkeys(VisitStatus.values, 0)
    for visit in visits:
        visit.current_status = visit.status(today)
        counts[visit.current_status] += 1
    return visits, counts


@dataclass(frozen=True)
class OnTheWay:
    """在途: the job a technician set off (出发) to and has not checked in at yet."""

    number: str
    departed_at: datetime.datetime


def board_technicians(technicians, *, viewer: User) -> tuple[list[User], dict[int, list[dispatch_rules.Job]]]:
    """The dispatch board's technicians (a queryset of users), fewest open jobs first (then by username),
    each with `open_jobs` and `on_the_way` (an OnTheWay, among the tickets `viewer` works with), and their
    open jobs ({technician id: [job]}, for `dispatch_suggestions`): two queries, the technicians with the
    columns the board and the suggestions read (not whole user rows), and their jobs. The count and the
    journeys are the jobs' (one read of the tickets_tech_active_due_idx rows, not a grouped join or a query
    of their own: issue #19)."""
    technicians = list(
        technicians.select_related("branch", "technician_profile")
        .only(
            "username",
            "first_name",
            "last_name",
            "branch__code",
            "technician_profile__home_zone",
            "technician_profile__zones_served",
            "technician_profile__working_weekdays",
            "technician_profile__daily_capacity",
        )
        .order_by("username")
    )
    jobs: defaultdict[int, list[dispatch_rules.Job]] = defaultdict(list)
    on_the_way: dict[int, OnTheWay] = {}
    for technician_id, start, end, state, departed_at, number, branch_id in _active_tickets(
        [technician.pk for technician in technicians], "state", "departed_at", "number", "branch_id"
    ):
        jobs[technician_id].append(_job(start, end))
        if state == State.DISPATCHED and departed_at is not None and viewer.in_branch(branch_id):
            on_the_way[technician_id] = OnTheWay(number, departed_at)
    for technician in technicians:
        technician.open_jobs = len(jobs[technician.pk])
        technician.on_the_way = on_the_way.get(technician.pk)
    # sorted() is stable: equal loads keep the database's order by username.
    return sorted(technicians, key=lambda technician: technician.open_jobs), jobs


def open_jobs(technician_ids: list[int]) -> defaultdict[int, list[dispatch_rules.Job]]:
    """The technicians' open jobs (dispatched, on site, in the factory) with their booked windows."""
    jobs: defaultdict[int, list[dispatch_rules.Job]] = defaultdict(list)
    for technician_id, start, end in _active_tickets(technician_ids):
        jobs[technician_id].append(_job(start, end))
    return jobs


def _active_tickets(technician_ids: list[int], *columns: str):
    """(technician, appointment start and end, *columns) of the technicians' open jobs."""
    return (
        RepairTicket.objects.filter(technician_id__in=technician_ids, state__in=TECHNICIAN_ACTIVE_STATES)
        .values_list("technician_id", "appointment_start", "appointment_end", *columns)
        .order_by()
    )


def _job(start: datetime.datetime | None, end: datetime.datetime | None) -> dispatch_rules.Job:
    booked = _window(start, end)
    return dispatch_rules.Job(booked, timezone.localdate(booked.start) if booked else None)


def dispatch_suggestions(
    tickets: list[RepairTicket],
    technicians: list[User],
    now: datetime.datetime,
    *,
    jobs: dict[int, list[dispatch_rules.Job]] | None = None,
) -> dict[int, tuple[dispatch_rules.Suggestion, ...]]:
    """The board's suggestions for each waiting ticket, from its own branch's technicians.

    `technicians` come with `technician_profile` (select_related); everything else is read here in
    four queries whatever the number of tickets and technicians: skills, leave, their open jobs (unless
    given: `board_technicians` read them), and who repaired these units or served these customers
    before."""
    if not tickets or not technicians:
        return {}
    today = timezone.localdate(now)
    ids = [technician.pk for technician in technicians]
    skills: dict[int, list[dispatch_rules.Skill]] = defaultdict(list)
    for technician_id, category, valid_until in TechnicianSkill.objects.filter(
        technician_id__in=ids
    ).values_list("technician_id", "category", "valid_until"):
        skills[technician_id].append(dispatch_rules.Skill(category, valid_until))
    leave: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    windows = {ticket.pk: _window(ticket.appointment_start, ticket.appointment_end) for ticket in tickets}
    horizon = max(
        [today + datetime.timedelta(days=LEAVE_HORIZON_DAYS)]
        + [timezone.localdate(window.start) for window in windows.values() if window is not None]
    )
    for technician_id, first, last in (
        TechnicianLeave.objects.filter(technician_id__in=ids)
        .covering(today, horizon)
        .values_list("technician_id", "starts_on", "ends_on")
    ):
        leave[technician_id].append((first, last))
    if jobs is None:
        jobs = open_jobs(ids)
    fixed_unit: dict[int, set[int]] = defaultdict(set)
    served_customer: dict[int, set[int]] = defaultdict(set)
    for technician_id, unit_id, customer_id in past_work(
        ids, {ticket.unit_id for ticket in tickets}, {ticket.customer_id for ticket in tickets}
    ):
        fixed_unit[unit_id].add(technician_id)
        served_customer[customer_id].add(technician_id)
    team: dict[int, list[dispatch_rules.TechnicianFacts]] = defaultdict(list)
    for technician in technicians:
        profile = getattr(technician, "technician_profile", None)
        team[technician.branch_id].append(
            dispatch_rules.TechnicianFacts(
                technician_id=technician.pk,
                name=str(technician),
                skills=tuple(skills[technician.pk]),
                home_zone=profile.home_zone if profile else "",
                # Without a profile: every zone, Monday to Friday (TechnicianProfile's docstring).
                zones_served=frozenset(profile.zones_served if profile else ServiceZone.values),
                working_weekdays=frozenset(profile.working_weekdays if profile else range(5)),
                leave=tuple(leave[technician.pk]),
                capacity=profile.daily_capacity if profile else DEFAULT_DAILY_CAPACITY,
                jobs=tuple(jobs.get(technician.pk, ())),
            )
        )
    suggestions = {}
    for ticket in tickets:
        facts = dispatch_rules.TicketFacts(
            ticket_id=ticket.pk,
            category=dispatch_rules.required_skill(ticket.fault_category, ticket.unit.product_model.category),
            zone=ticket.customer.service_zone,
            distance_km=ticket.customer.distance_km,
            due_at=ticket.due_at,
            day=timezone.localdate(windows[ticket.pk].start) if windows[ticket.pk] else today,
            window=windows[ticket.pk],
            fixed_unit_before=frozenset(fixed_unit[ticket.unit_id]),
            served_customer_before=frozenset(
                served_customer[ticket.customer_id] - fixed_unit[ticket.unit_id]
            ),
        )
        suggestions[ticket.pk] = dispatch_rules.rank(facts, tuple(team[ticket.branch_id]), now)
    return suggestions


def past_work(technician_ids, unit_ids, customer_ids) -> list[tuple[int, int, int]]:
    """(technician, unit, customer) of the finished jobs of these technicians on these units or for these
    customers: who repaired a waiting ticket's unit or served its customer before. On PostgreSQL the SQL
    is written once with the ids as three array parameters: the ORM's IN lists of a board's hundred ids
    took twice as long to build and compile as PostgreSQL took to answer (0.6 of 1.2 ms; issue #19)."""
    alias = router.db_for_read(RepairTicket)
    if connections[alias].vendor != "postgresql":
        return list(
            RepairTicket.objects.filter(technician_id__in=technician_ids, completed_at__isnull=False)
            .filter(Q(unit_id__in=unit_ids) | Q(customer_id__in=customer_ids))
            .values_list("technician_id", "unit_id", "customer_id")
            # Unordered: the model's ordering would add due_at to the DISTINCT and sort every past job.
            .order_by()
            .distinct()
        )
    with connections[alias].cursor() as cursor:
        cursor.execute(_past_work_sql(alias), [list(technician_ids), list(unit_ids), list(customer_ids)])
        return cursor.fetchall()


@functools.cache
def _past_work_sql(alias: str) -> str:
    quote, column = connections[alias].ops.quote_name, RepairTicket._meta.get_field
    technician, unit, customer, completed = (
        quote(column(name).column) for name in ("technician", "unit", "customer", "completed_at")
    )
    return (
        f"SELECT DISTINCT {technician}, {unit}, {customer} FROM {quote(RepairTicket._meta.db_table)}"
        f" WHERE {technician} = ANY(%s) AND {completed} IS NOT NULL"
        f" AND ({unit} = ANY(%s) OR {customer} = ANY(%s))"
    )


def _window(start: datetime.datetime | None, end: datetime.datetime | None) -> dispatch_rules.Window | None:
    return dispatch_rules.Window(start, end) if start is not None and end is not None else None


LEAVE_HORIZON_DAYS = 2  # today and tomorrow: the days the board plans
DEFAULT_DAILY_CAPACITY = TechnicianProfile._meta.get_field("daily_capacity").default


# The timeline board's hours (local time) on each of its two days: a column per hour from 08:00 to 20:00.
TIMELINE_FIRST_HOUR = 8
TIMELINE_HOURS = 12
TIMELINE_DAYS = 2  # today and tomorrow
TIMELINE_WAITING = 50


@dataclass
class TimelineRow:
    technician: User
    capacity: int
    blocks: list[dict] = field(default_factory=list)  # visits with a window on the board
    unplanned: list[RepairTicket] = field(default_factory=list)  # jobs with no window
    jobs_today: int = 0
    late: list[RepairTicket] = field(default_factory=list)

    @property
    def overloaded(self) -> bool:
        return self.jobs_today > self.capacity


def timeline_board(technicians: list[User], waiting, now: datetime.datetime) -> dict:
    """The timeline board of one branch: a row per technician with their visits placed in the hours of
    today and tomorrow, their jobs without a window, today's load against their capacity and the jobs
    they are late for; and the waiting tickets. Three queries: the jobs, the waiting tickets (the caller's
    queryset) and nothing per row."""
    today = timezone.localdate(now)
    days = [today + datetime.timedelta(days=offset) for offset in range(TIMELINE_DAYS)]
    rows = {
        technician.pk: TimelineRow(
            technician,
            getattr(
                getattr(technician, "technician_profile", None), "daily_capacity", DEFAULT_DAILY_CAPACITY
            ),
        )
        for technician in technicians
    }
    jobs = (
        RepairTicket.objects.filter(technician_id__in=rows, state__in=TECHNICIAN_ACTIVE_STATES)
        .select_related("customer")
        .only(
            "number",
            "state",
            "version",
            "technician_id",
            "due_at",
            "arrived_at",
            "appointment_start",
            "appointment_end",
            "customer__name",
        )
        .order_by("appointment_start", "due_at", "pk")
    )
    for job in jobs:
        row = rows[job.technician_id]
        window = job.appointment
        before_arrival = job.state == State.DISPATCHED
        if job.due_at < now or (window and before_arrival and window[1] < now):
            row.late.append(job)
        if window is None:
            row.unplanned.append(job)
            row.jobs_today += 1
            continue
        start, end = (timezone.localtime(moment) for moment in window)
        if start.date() == today:
            row.jobs_today += 1
        if start.date() not in days:
            if start.date() < today:
                row.unplanned.append(job)
            continue
        first = max(start.hour, TIMELINE_FIRST_HOUR)
        last = min(end.hour + (1 if end.minute else 0), TIMELINE_FIRST_HOUR + TIMELINE_HOURS)
        if last <= first:  # wholly before or after the board's hours
            row.unplanned.append(job)
            continue
        offset = days.index(start.date()) * TIMELINE_HOURS + (first - TIMELINE_FIRST_HOUR)
        row.blocks.append(
            {"ticket": job, "column": offset + 2, "span": last - first, "start": start, "end": end}
        )
    local_now = timezone.localtime(now)
    hours = [
        {
            "day": day,
            "hour": hour,
            "column": index * TIMELINE_HOURS + (hour - TIMELINE_FIRST_HOUR) + 2,
            "first_of_day": hour == TIMELINE_FIRST_HOUR,
            "past": (day, hour) < (local_now.date(), local_now.hour),
        }
        for index, day in enumerate(days)
        for hour in range(TIMELINE_FIRST_HOUR, TIMELINE_FIRST_HOUR + TIMELINE_HOURS)
    ]
    waiting = list(waiting[: TIMELINE_WAITING + 1])
    return {
        "days": days,
        "hours": hours,
        "rows": list(rows.values()),
        "waiting": waiting[:TIMELINE_WAITING],
        "more_waiting": len(waiting) > TIMELINE_WAITING,
    }


def signed_report(ticket: RepairTicket, report_id: int) -> ServiceReport | None:
    """A signed report of the ticket with what its 服务凭证 prints (the voucher page and the API)."""
    return (
        ServiceReport.objects.filter(ticket=ticket, pk=report_id, signed_at__isnull=False)
        .select_related("ticket__customer", "ticket__unit__product_model", "technician")
        .prefetch_related("parts", "addenda", "ticket__customer__phones")
        .first()
    )


def latest_goods_entry(ticket: RepairTicket) -> GoodsRegisterEntry:
    """The ticket's latest goods-in entry (its pickup receipt and repair tag); 404 when none."""
    entry = (
        GoodsRegisterEntry.objects.filter(ticket=ticket)
        .select_related(
            "receipt", "tag__inspected_by", "received_by", "ticket__customer", "ticket__technician"
        )
        .order_by("-in_at", "-pk")
        .first()
    )
    if entry is None:
        raise Http404("No goods-in entry")
    return entry
