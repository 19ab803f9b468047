"""The KPI numbers of a month, per branch, technician and product model, and the twelve-month trend.

Every figure is counted in SQL (`values(...).annotate(...)`): per measure one query for the month,
grouped by the ids of branch, technician and model at once, and one for the twelve-month trend. Python
only adds up the grouped rows (at most a few thousand groups) and names them, one query per dimension.

Months are summarised (`summarise`, periodic task `reports.tasks.summarise_months`): the same grouped
queries, stored per branch × technician × model in `reports.KpiMonth`, up to a watermark (`through`:
the month's end once it is over, the time of the run for the current month) and at a revision, new at
each run. The dashboard reads the stored groups and counts live only the rows after the watermark (and
months never summarised): for a complete month the watermarks, the stored sums and the names instead of
sixteen queries over a year of rows (1,000,000 tickets, 300,000 surveys: docs/performance.md), a few more
over the last minutes for the current month. The stored sums are kept in the process by their revision
(`stored_dimension_sums`, `stored_month_sums`), so a page reads them once per run of the task.

Definitions (shown on the dashboard and in the monthly report):
- volume: tickets reported in the month, by service category A/B/C/D (§7-六);
- timeliness: arrival deadlines met in the month (met_at in the month) that were met in time, out of
  all arrival deadlines met in the month (`tickets.TicketDeadline`, milestone arrival);
- satisfaction: `surveys.scoring` — satisfied answers (满意 or better) out of all answers of the
  surveys answered in the month;
- service-caused complaint rate: complaints received in the month with `service_at_fault`, out of the
  services finished in the month (tickets whose visit or factory repair was completed in the month);
- jobs attended as a helper (协助完工, two-person jobs, seed §1-3.3): the tickets completed in the month
  on which the technician was sent along with the lead (`tickets.TicketHelper`). A ticket's own figures
  (volume, timeliness, satisfaction, complaints, warranty cost, finished) stay with its lead, who signs
  the report and answers for the job, so a department's totals count every job once; the helper's row
  shows the job as attended (`attended` = finished as lead + helped). A branch's `helped` is the number
  of helper visits, never added to its finished jobs;
- warranty cost: what warranty service cost the company in the month — the labour hours of the service
  reports signed in the month on category C (free) tickets, valued at `WARRANTY_LABOUR_RATE` yuan per
  hour, plus any fee entered on those reports (waived), plus the cost price of the parts consumed in the
  month on category C tickets (`parts.PartUsage` × `Part.cost`), plus the compensation claims approved
  in the month (refund, replacement, cash, fee waiver: `warranty.Claim.amount`, approved or written off).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, DecimalField, F, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User
from aftersales.replica import read_snapshot
from claims.models import Claim, ClaimStatus
from customers.models import ProductModel
from parts.models import PartUsage
from reports.metrics import Change, Target, change, kpi_targets, percent
from reports.models import AMOUNT_FIELDS, KpiMonth, SummarisedMonth
from reports.periods import REPORT_ZONE, Month
from surveys.models import Complaint, Survey
from surveys.scoring import QUESTION_FIELDS, SATISFIED_LEVELS, Tally
from tickets.models import (
    Milestone,
    RepairTicket,
    ServiceCategory,
    ServiceReport,
    TicketDeadline,
    TicketHelper,
)

CATEGORIES = tuple(ServiceCategory.values)
TREND_MONTHS = 12


def labour_rate() -> Decimal:
    """Yuan per labour hour, to put a value on free service hours (setting WARRANTY_LABOUR_RATE)."""
    return Decimal(str(settings.WARRANTY_LABOUR_RATE))


@dataclass(frozen=True)
class Scope:
    """What a report covers: a month, and one branch or (headquarters only) every branch."""

    month: Month
    branch: Branch | None = None


@dataclass(frozen=True)
class Dimension:
    """A way to group: the path from a ticket to the group's id, the model of the group and the fields
    that name it; `name` writes the name from {field: value} (all None for the group without one)."""

    key: str
    label: str
    id_path: str
    model: type[Model]
    name_fields: tuple[str, ...]
    name: Callable[[dict], str]


def _person(row: dict) -> str:
    full = f"{row['last_name'] or ''}{row['first_name'] or ''}".strip()
    return full or row["username"] or str(_("未派工/无关联工单"))


BRANCH = Dimension("branch", _("网点"), "branch", Branch, ("code", "name"), lambda r: r["name"])
TECHNICIAN = Dimension(
    "technician", _("技术员"), "technician", User, ("username", "last_name", "first_name"), _person
)
PRODUCT_MODEL = Dimension(
    "product_model",
    _("产品型号"),
    "unit__product_model",
    ProductModel,
    ("code", "name"),
    lambda r: f"{r['code']} {r['name']}" if r["code"] else str(_("无关联工单")),
)
DIMENSIONS = (BRANCH, TECHNICIAN, PRODUCT_MODEL)


@dataclass
class KpiRow:
    """The counts of one group (a branch, a technician, a model, a month); the rates derive from them."""

    key: object = None
    name: str = ""
    volume: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    arrivals: int = 0
    arrivals_in_time: int = 0
    satisfaction_tally: Tally = field(default_factory=Tally)
    surveys: int = 0
    finished: int = 0
    helped: int = 0  # jobs completed as a helper on a two-person job (not in `finished`)
    complaints: int = 0
    warranty_hours: Decimal = Decimal(0)
    warranty_fees_waived: Decimal = Decimal(0)
    warranty_parts_cost: Decimal = Decimal(0)
    warranty_claims: Decimal = Decimal(0)

    @property
    def volumes(self) -> list[int]:
        """The volume in the order A, B, C, D (for tables)."""
        return [self.volume[category] for category in CATEGORIES]

    @property
    def labelled_volumes(self) -> list[tuple[str, int]]:
        return [(label, self.volume[value]) for value, label in ServiceCategory.choices]

    @property
    def reported(self) -> int:
        return sum(self.volume.values())

    @property
    def timeliness(self) -> Decimal | None:
        return percent(self.arrivals_in_time, self.arrivals)

    @property
    def satisfaction(self) -> Decimal | None:
        return self.satisfaction_tally.percent

    @property
    def attended(self) -> int:
        """A technician's jobs completed in the month, as the lead or as a helper."""
        return self.finished + self.helped

    @property
    def complaint_rate(self) -> Decimal | None:
        return percent(self.complaints, self.finished)

    @property
    def warranty_labour_cost(self) -> Decimal:
        return (self.warranty_hours * labour_rate()).quantize(Decimal("0.01"))

    @property
    def warranty_cost(self) -> Decimal:
        return (
            self.warranty_labour_cost
            + self.warranty_fees_waived
            + self.warranty_parts_cost
            + self.warranty_claims
        )

    def add(self, other: KpiRow) -> None:
        for category in CATEGORIES:
            self.volume[category] += other.volume[category]
        self.arrivals += other.arrivals
        self.arrivals_in_time += other.arrivals_in_time
        self.satisfaction_tally += other.satisfaction_tally
        self.surveys += other.surveys
        self.finished += other.finished
        self.helped += other.helped
        self.complaints += other.complaints
        self.warranty_hours += other.warranty_hours
        self.warranty_fees_waived += other.warranty_fees_waived
        self.warranty_parts_cost += other.warranty_parts_cost
        self.warranty_claims += other.warranty_claims

    def marks(self, targets: dict[str, Target]) -> dict[str, bool | None]:
        """{kpi: meets target?} (None: nothing to measure)."""
        return {key: target.meets(getattr(self, key)) for key, target in targets.items()}


# --- one measure = one grouped query; each fills some fields of the rows --------------------------------


def _fill_volume(row: KpiRow, data: dict) -> None:
    for category in CATEGORIES:
        row.volume[category] += data[f"volume_{category}"]


def _fill_finished(row: KpiRow, data: dict) -> None:
    row.finished += data["finished"]


def _fill_helped(row: KpiRow, data: dict) -> None:
    row.helped += data["helped"]


def _fill_timeliness(row: KpiRow, data: dict) -> None:
    row.arrivals += data["arrivals"]
    row.arrivals_in_time += data["arrivals_in_time"]


def _fill_satisfaction(row: KpiRow, data: dict) -> None:
    satisfied = sum(data[f"satisfied_{name}"] for name in QUESTION_FIELDS)
    row.surveys += data["surveys"]
    row.satisfaction_tally += Tally(satisfied, data["surveys"] * len(QUESTION_FIELDS))


def _fill_complaints(row: KpiRow, data: dict) -> None:
    row.complaints += data["complaints"]


def _fill_warranty(row: KpiRow, data: dict) -> None:
    row.warranty_hours += data["hours"] or Decimal(0)
    row.warranty_fees_waived += data["fees_waived"] or Decimal(0)


def _fill_parts(row: KpiRow, data: dict) -> None:
    row.warranty_parts_cost += data["parts_cost"] or Decimal(0)


def _fill_claims(row: KpiRow, data: dict) -> None:
    row.warranty_claims += data["claims"] or Decimal(0)


@dataclass(frozen=True)
class Measure:
    """A grouped count over one model: its rows, the timestamp that puts a row in a month, the path
    from a row to its ticket, the aggregates and which fields of a KpiRow they fill.

    `paths` overrides the ticket path for a dimension whose data sits on the row itself (a survey's
    branch and technician are copied onto it at acceptance; a complaint has its own branch).
    """

    base: Callable[[], QuerySet]
    time_field: str
    ticket_path: str
    aggregates: Callable[[], dict]
    fill: Callable[[KpiRow, dict], None]
    branch_path: str = "ticket__branch"
    paths: dict[str, str] = field(default_factory=dict)

    def rows(self, windows: Iterable[Window], branch: Branch | None) -> QuerySet:
        rows = self.base().filter(_during(self.time_field, windows))
        return rows.filter(**{self.branch_path: branch}) if branch else rows

    def prefix(self, dimension: Dimension) -> str:
        return self.paths.get(dimension.key, self.ticket_path)


MEASURES = (
    Measure(
        RepairTicket.objects.all,
        "reported_at",
        "",
        lambda: {
            # Counting the category column, not the id: an index on (reported_at, service_category) then
            # answers the twelve-month trend from the index alone.
            f"volume_{category}": Count("service_category", filter=Q(service_category=category))
            for category in CATEGORIES
        },
        _fill_volume,
        branch_path="branch",
    ),
    Measure(
        RepairTicket.objects.all,
        "completed_at",
        "",
        lambda: {"finished": Count("*")},
        _fill_finished,
        branch_path="branch",
    ),
    Measure(
        # The helpers of two-person jobs, in the month their ticket was completed (the lead's is
        # `finished` above); the row's own technician is the helper.
        TicketHelper.objects.all,
        "ticket__completed_at",
        "ticket__",
        lambda: {"helped": Count("pk")},
        _fill_helped,
        paths={"technician": ""},
    ),
    Measure(
        lambda: TicketDeadline.objects.filter(milestone=Milestone.ARRIVAL),
        "met_at",
        "ticket__",
        lambda: {"arrivals": Count("pk"), "arrivals_in_time": Count("pk", filter=Q(in_time=True))},
        _fill_timeliness,
    ),
    Measure(
        Survey.objects.all,
        "answered_at",
        "ticket__",
        lambda: {
            "surveys": Count("pk"),
            **{
                f"satisfied_{name}": Count("pk", filter=Q(**{f"{name}__in": sorted(SATISFIED_LEVELS)}))
                for name in QUESTION_FIELDS
            },
        },
        _fill_satisfaction,
        branch_path="branch",
        paths={"branch": "", "technician": ""},
    ),
    Measure(
        lambda: Complaint.objects.filter(service_at_fault=True),
        "received_at",
        "ticket__",
        lambda: {"complaints": Count("pk")},
        _fill_complaints,
        branch_path="branch",
        paths={"branch": ""},
    ),
    Measure(
        lambda: ServiceReport.objects.filter(ticket__service_category=ServiceCategory.FREE),
        "signed_at",
        "ticket__",
        # A free service collects no fee: whatever fee was agreed on such a report is waived.
        lambda: {"hours": Sum("labour_hours"), "fees_waived": Sum("fee")},
        _fill_warranty,
    ),
    Measure(
        lambda: PartUsage.objects.filter(
            status=PartUsage.Status.CONSUMED, ticket__service_category=ServiceCategory.FREE
        ),
        "created_at",
        "ticket__",
        lambda: {
            "parts_cost": Sum(
                F("quantity") * F("part__cost"), output_field=DecimalField(max_digits=14, decimal_places=2)
            )
        },
        _fill_parts,
    ),
    Measure(
        lambda: Claim.objects.filter(status__in=[ClaimStatus.APPROVED, ClaimStatus.WRITTEN_OFF]),
        "decided_at",
        "ticket__",
        lambda: {"claims": Sum("amount")},
        _fill_claims,
        branch_path="branch",
        paths={"branch": ""},
    ),
)


Window = tuple[datetime.datetime, datetime.datetime]  # [start, end)


class Watermark(NamedTuple):
    """A stored month's: the rows before `through` are stored, at `revision`."""

    through: datetime.datetime
    revision: uuid.UUID


def _ranges(windows: Iterable[Window]) -> list[Window]:
    """The windows in order, adjacent ones joined into one range (one index range scan)."""
    ranges: list[list[datetime.datetime]] = []
    for start, end in sorted(windows):
        if ranges and ranges[-1][1] == start:
            ranges[-1][1] = end
        else:
            ranges.append([start, end])
    return [(start, end) for start, end in ranges]


def _during(time_field: str, windows: Iterable[Window]) -> Q:
    """`time_field` within one of the windows."""
    condition = Q(pk__in=[])
    for start, end in _ranges(windows):
        condition |= Q(**{f"{time_field}__gte": start, f"{time_field}__lt": end})
    return condition


def _live_windows(months: Iterable[Month], summarised: dict[Month, datetime.datetime]) -> list[Window]:
    """What is not stored: each month after its watermark, or the whole month if it has none."""
    windows = [(summarised.get(month, month.start), month.end) for month in months]
    return [(start, end) for start, end in windows if start < end]


def _id_column(measure: Measure, dimension: Dimension) -> str:
    """The path from the measure's rows to the dimension's id."""
    return f"{measure.prefix(dimension)}{dimension.id_path}"


def _collect(tables: dict, dimensions: tuple, grouped: Iterable[dict], columns: dict, fill) -> None:
    """Add grouped rows into the dimension tables (rows unnamed: `_name_rows`). columns: {dimension key:
    the column of the group's id}."""
    for data in grouped:
        for dimension in dimensions:
            rows = tables[dimension.key]
            key = data[columns[dimension.key]]
            row = rows.get(key)
            if row is None:
                row = rows[key] = KpiRow(key=key)
            fill(row, data)


def _name_rows(tables: dict, dimensions: tuple) -> None:
    """Each row's name as it is now, one query per dimension: the grouped queries join no name (issue #19:
    each name joined in each of a dozen queries cost more to plan than to count), and the stored sums,
    which carry none, may be kept by their revision."""
    for dimension in dimensions:
        rows = tables[dimension.key]
        ids = [key for key in rows if key is not None]
        found = (
            {
                values["pk"]: values
                for values in dimension.model.objects.filter(pk__in=ids).values("pk", *dimension.name_fields)
            }
            if ids
            else {}
        )
        unnamed = dict.fromkeys(dimension.name_fields)
        for key, row in rows.items():
            row.name = dimension.name(found.get(key, unnamed))


def kpi_tables(
    scope: Scope,
    dimensions: Iterable[Dimension] = DIMENSIONS,
    *,
    summarised: dict[Month, Watermark] | None = None,
) -> dict[str, list[KpiRow]]:
    """{dimension key: one row per group with any data in the month, by name (unassigned last)}.

    One query per measure groups by every dimension at once (branch × technician × model is at most a
    few thousand groups); the groups are then added up per dimension. Counts and sums add up, so
    this is exact, and the database reads each month's rows once instead of once per dimension.
    A summarised month (`summarised`: {month: its Watermark}, looked up when None) is one query per
    dimension on its stored groups (kept by revision: `stored_dimension_sums`), plus these queries over
    its rows after the watermark, if any. Then one query per dimension names its rows.
    """
    dimensions = tuple(dimensions)
    tables: dict[str, dict] = {dimension.key: {} for dimension in dimensions}
    if summarised is None:
        summarised = watermarks([scope.month])
    if scope.month in summarised:
        revision = summarised[scope.month].revision
        for dimension in dimensions:
            column = _stored_column(dimension)
            grouped = stored_dimension_sums(_branch_id(scope), column, scope.month.first_day, revision)
            _collect(tables, (dimension,), grouped, {dimension.key: column}, _fill_stored)
    windows = _live_windows([scope.month], _throughs(summarised))
    if windows:
        _collect_live(tables, dimensions, windows, scope.branch)
    _name_rows(tables, dimensions)
    return {
        key: sorted(rows.values(), key=lambda row: (row.key is None, row.name))
        for key, rows in tables.items()
    }


def _collect_live(tables: dict, dimensions: tuple, windows: list[Window], branch: Branch | None) -> None:
    for measure in MEASURES:
        columns = {dimension.key: _id_column(measure, dimension) for dimension in dimensions}
        grouped = live_groups(measure, tuple(sorted(set(columns.values()))), windows, branch)
        _collect(tables, dimensions, grouped, columns, measure.fill)


def _grouped(measure: Measure, group_by: tuple[str, ...], windows: Iterable[Window], branch) -> QuerySet:
    return measure.rows(windows, branch).values(*group_by).annotate(**measure.aggregates()).order_by()


def live_groups(
    measure: Measure, group_by: tuple[str, ...], windows: Iterable[Window], branch: Branch | None
) -> Iterable[dict]:
    """The measure's rows in the windows grouped by `group_by`, as `values()` dicts.

    On PostgreSQL the SQL comes from `_live_statement`, written by the ORM once per shape: building and
    compiling the nine grouped queries of a page cost more than PostgreSQL's answers (issue #19). Only the
    windows' bounds and the branch change from one request to the next; they are the statement's
    parameters. Other databases (SQLite under `make run`) run the queryset as it is."""
    ranges = _ranges(windows)
    alias = router.db_for_read(measure.base().model)
    if connections[alias].vendor != "postgresql":
        return _grouped(measure, group_by, ranges, branch)
    statement = _live_statement(MEASURES.index(measure), group_by, len(ranges), branch is not None, alias)
    if statement is None:
        return _grouped(measure, group_by, ranges, branch)
    sql, slots = statement
    values = {("branch", 0): branch.pk if branch else None}
    for index, (start, end) in enumerate(ranges):
        values[("start", index)], values[("end", index)] = start, end
    params = [slot[1] if slot[0] == "value" else values[slot] for slot in slots]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# What a live statement is written with, each standing for a request's value: windows of 1901 and a
# branch id that no row has. Their places in the compiled parameters become the statement's slots.
_STAND_IN_BRANCH = -719_011
_STAND_IN_DAY = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)


@lru_cache(maxsize=256)
def _live_statement(
    measure_index: int, group_by: tuple[str, ...], ranges: int, with_branch: bool, alias: str
) -> tuple[str, tuple] | None:
    """(SQL, slots) of a measure's grouped live query for this many ranges, with or without a branch.
    A slot is ("start" | "end", range), ("branch", 0), or ("value", a constant of the query). None when a
    stand-in is not found among the compiled parameters as it was given (then the queryset runs)."""
    windows = [
        (
            _STAND_IN_DAY + datetime.timedelta(days=2 * index),
            _STAND_IN_DAY + datetime.timedelta(days=2 * index + 1),
        )
        for index in range(ranges)
    ]
    branch = Branch(pk=_STAND_IN_BRANCH) if with_branch else None
    query = _grouped(MEASURES[measure_index], group_by, windows, branch).query
    sql, params = query.get_compiler(using=alias).as_sql()
    stand_ins: dict[tuple, object] = {("branch", 0): _STAND_IN_BRANCH}
    for index, (start, end) in enumerate(windows):
        stand_ins[("start", index)], stand_ins[("end", index)] = start, end
    slot_of = {value: slot for slot, value in stand_ins.items()}
    # Every parameter is a scalar (the ORM spreads a list over one placeholder per item), so hashable.
    slots = tuple(slot_of.get(param, ("value", param)) for param in params)
    expected = set(stand_ins) if with_branch else set(stand_ins) - {("branch", 0)}
    if not expected <= set(slots):
        return None
    return sql, slots


def kpi_table(scope: Scope, dimension: Dimension) -> list[KpiRow]:
    return kpi_tables(scope, [dimension])[dimension.key]


def total(rows: Iterable[KpiRow]) -> KpiRow:
    """Counts add up, so the whole is the sum of the branches (no second set of queries)."""
    whole = KpiRow(name=str(_("合计")))
    for row in rows:
        whole.add(row)
    return whole


def trend(
    scope: Scope,
    months: int = TREND_MONTHS,
    summarised: dict[Month, Watermark] | None = None,
    month_total: KpiRow | None = None,
) -> list[KpiRow]:
    """The KPIs of the `months` months up to the scope's month, oldest first: the stored months' sums
    (`stored_month_sums`), one query per measure over what is not stored (if anything). `month_total`: the scope's
    month as the dashboard's tables already counted it (their total), taken instead of counted again —
    the live rows of the current month were otherwise read twice per page (issue #19)."""
    first = scope.month.minus(months - 1)
    by_month = {}
    for offset in range(months):
        month = first.minus(-offset)
        by_month[month] = KpiRow(
            key=month,
            name=f"{month.year}-{month.month:02d}"
            if offset == 0 or month.month == 1
            else f"{month.month:02d}",
        )
    if summarised is None:
        summarised = watermarks(by_month)
    counted = [month for month in by_month if month_total is None or month != scope.month]
    stored = [month for month in counted if month in summarised]
    windows = _live_windows(counted, _throughs(summarised))
    if month_total is not None:
        by_month[scope.month].add(month_total)
    if stored:
        revisions = tuple((month.first_day, summarised[month].revision) for month in stored)
        for data in stored_month_sums(_branch_id(scope), revisions):
            _fill_stored(by_month[Month(data["month"].year, data["month"].month)], data)
    for measure in MEASURES if windows else ():  # all stored: no query over the raw rows
        grouped = (
            measure.rows(windows, scope.branch)
            .annotate(period=TruncMonth(measure.time_field, tzinfo=REPORT_ZONE))
            .values("period")
            .annotate(**measure.aggregates())
            .order_by()
        )
        for data in grouped:
            local = data["period"].astimezone(REPORT_ZONE)
            measure.fill(by_month[Month(local.year, local.month)], data)
    return list(by_month.values())


# --- the stored months ----------------------------------------------------------------------------------

# KpiRow attributes stored under their own name (the volume and the satisfied answers are spelt out).
_PLAIN_FIELDS = (
    "arrivals",
    "arrivals_in_time",
    "surveys",
    "finished",
    "helped",
    "complaints",
    *AMOUNT_FIELDS,
)
STORED_FIELDS = (
    *(f"volume_{category.lower()}" for category in CATEGORIES),
    "satisfied_answers",
    *_PLAIN_FIELDS,
)


def _stored(row: KpiRow) -> dict:
    """A KpiRow as KpiMonth field values."""
    return {
        **{f"volume_{category.lower()}": row.volume[category] for category in CATEGORIES},
        "satisfied_answers": row.satisfaction_tally.satisfied,
        **{name: getattr(row, name) for name in _PLAIN_FIELDS},
    }


def _fill_stored(row: KpiRow, data: dict) -> None:
    row.add(
        KpiRow(
            volume={category: data[f"volume_{category.lower()}"] for category in CATEGORIES},
            satisfaction_tally=Tally(data["satisfied_answers"], data["surveys"] * len(QUESTION_FIELDS)),
            **{name: data[name] for name in _PLAIN_FIELDS},
        )
    )


def _stored_column(dimension: Dimension) -> str:
    """The dimension's id on KpiMonth, which holds the product model itself."""
    return dimension.id_path.removeprefix("unit__")


def _branch_id(scope: Scope) -> int | None:
    return scope.branch.pk if scope.branch else None


def _stored_rows(branch_id: int | None) -> QuerySet:
    return KpiMonth.objects.filter(branch_id=branch_id) if branch_id else KpiMonth.objects.all()


@lru_cache(maxsize=256)
def stored_dimension_sums(
    branch_id: int | None, column: str, month: datetime.date, revision: uuid.UUID
) -> tuple[dict, ...]:
    """The month's stored counts summed per `column` (branch, technician or product_model: its ids, no
    names) over the branch or all, at the month's `revision`: kept as `stored_month_sums` is."""
    grouped = _stored_rows(branch_id).filter(month=month).values(column)
    return tuple(grouped.annotate(**{name: Sum(name) for name in STORED_FIELDS}).order_by())


@lru_cache(maxsize=256)
def stored_month_sums(
    branch_id: int | None, revisions: tuple[tuple[datetime.date, uuid.UUID], ...]
) -> tuple[dict, ...]:
    """The stored counts of each month (its first day, with the revision it is stored at), summed over the
    branch or all: the trend's past months, the same every request until a month is stored again.

    Cached in this process by the months' revisions (issue #19: the page's costliest query): `summarise`
    writes a month's KpiMonth rows and a new revision in one transaction, and nothing else writes them
    (their rows go only with a branch, technician or model, which the tickets counted in them protect),
    so a revision names one set of rows, on the primary as on a replica, and a month stored again is
    read again on the next request. Plain values, never a KpiRow a caller could add to."""
    rows = _stored_rows(branch_id).filter(month__in=[day for day, _revision in revisions])
    return tuple(rows.values("month").annotate(**{name: Sum(name) for name in STORED_FIELDS}).order_by())


def watermarks(months: Iterable[Month]) -> dict[Month, Watermark]:
    """{month: its Watermark} of those of `months` that are summarised."""
    rows = SummarisedMonth.objects.filter(month__in=[month.first_day for month in months])
    return {
        Month(day.year, day.month): Watermark(through, revision)
        for day, through, revision in rows.values_list("month", "through", "revision")
    }


def summarised_months(months: Iterable[Month]) -> dict[Month, datetime.datetime]:
    """{month: watermark} of those of `months` that are summarised."""
    return _throughs(watermarks(months))


def _throughs(marks: dict[Month, Watermark]) -> dict[Month, datetime.datetime]:
    return {month: mark.through for month, mark in marks.items()}


def summarisable_months(today: datetime.date, back: int) -> list[Month]:
    """What the periodic task refreshes, oldest first: the current month (to date), the last complete
    month (for entries made late) and those of the `back` months before today not summarised yet."""
    current = Month(today.year, today.month)
    months = [current.minus(offset) for offset in range(back + 1)]
    done = summarised_months(months)
    return sorted(
        {current, current.minus(1), *(month for month in months if month not in done)},
        key=lambda month: month.start,
    )


def summarise(month: Month, now: datetime.datetime | None = None) -> int:
    """Store a month's counts per branch × technician × model up to `now` (the month's end once it is
    over), replacing any stored before; returns the number of groups. The queries are the live
    dashboard's, grouped by the three ids."""
    now = now or timezone.now()
    if month.start >= now:
        raise ValueError(f"{month} has not begun")
    through = min(month.end, now)
    cells: dict[tuple, KpiRow] = {}
    for measure in MEASURES:
        columns = [_id_column(measure, dimension) for dimension in DIMENSIONS]
        grouped = (
            measure.rows([(month.start, through)], None)
            .values(*columns)
            .annotate(**measure.aggregates())
            .order_by()
        )
        for data in grouped:
            key = tuple(data[column] for column in columns)
            measure.fill(cells.setdefault(key, KpiRow()), data)
    with transaction.atomic():
        KpiMonth.objects.filter(month=month.first_day).delete()
        KpiMonth.objects.bulk_create(
            KpiMonth(
                month=month.first_day,
                branch_id=branch,
                technician_id=technician,
                product_model_id=product_model,
                **_stored(row),
            )
            for (branch, technician, product_model), row in cells.items()
        )
        SummarisedMonth.objects.update_or_create(
            month=month.first_day,
            defaults={"through": through, "summarised_at": timezone.now(), "revision": uuid.uuid4()},
        )
    return len(cells)


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: Decimal | int | None
    unit: str  # "%" (the change is in percentage points), "¥" or "" (a count)
    target: Target | None
    meets: bool | None
    change: Change


@dataclass
class Dashboard:
    scope: Scope
    targets: dict[str, Target]
    tables: dict[str, list[KpiRow]]
    summary: KpiRow
    months: list[KpiRow]

    @property
    def labour_rate(self) -> Decimal:
        return labour_rate()

    @property
    def summary_marks(self) -> dict[str, bool | None]:
        return self.summary.marks(self.targets)

    @property
    def cards(self) -> list[dict]:
        """The three targeted KPIs of the whole scope: value, target, verdict and what it counts."""
        summary, marks = self.summary, self.summary_marks
        counted = {
            "timeliness": (summary.arrivals_in_time, summary.arrivals, _("按时到达 / 到达节点")),
            "satisfaction": (
                summary.satisfaction_tally.satisfied,
                summary.satisfaction_tally.answers,
                _("满意答案 / 全部答案"),
            ),
            "complaint_rate": (summary.complaints, summary.finished, _("服务责任投诉 / 完工")),
        }
        return [
            {
                "key": key,
                "target": target,
                "value": getattr(summary, key),
                "meets": marks[key],
                "part": counted[key][0],
                "whole": counted[key][1],
                "counts": counted[key][2],
            }
            for key, target in self.targets.items()
        ]

    @property
    def previous_month(self) -> KpiRow | None:
        """Last month's row of the trend (oldest first, ending with this month)."""
        return self.months[-2] if len(self.months) >= 2 else None

    @property
    def headlines(self) -> list[Headline]:
        """The figures of the monthly report's first page, each against last month (issue #16)."""
        now, before, marks = self.summary, self.previous_month, self.summary_marks

        def figure(key, label, unit, *, target=None, higher_is_better=None) -> Headline:
            value = getattr(now, key)
            previous = None if before is None else getattr(before, key)
            return Headline(
                key=key,
                label=label,
                value=value,
                unit=unit,
                target=target,
                meets=marks.get(key),
                change=change(value, previous, higher_is_better=higher_is_better),
            )

        return [
            *(
                figure(key, target.label, "%", target=target, higher_is_better=target.higher_is_better)
                for key, target in self.targets.items()
            ),
            figure("reported", _("报修量"), ""),
            figure("surveys", _("回访份数"), ""),
            figure("warranty_cost", _("保修成本"), "¥", higher_is_better=False),
        ]

    @property
    def marked_tables(self) -> list[dict]:
        """[{dimension, rows: [(row, {kpi: meets target?})]}] for the tables of the page and the PDF."""
        return [
            {
                "dimension": dimension,
                "rows": [(row, row.marks(self.targets)) for row in self.tables[dimension.key]],
            }
            for dimension in DIMENSIONS
        ]


def dashboard(scope: Scope) -> Dashboard:
    """The month's tables and trend, read from one snapshot of the database: the watermarks, the stored
    counts and the live rows after them must agree, even when `summarise` commits meanwhile (else the
    rows between the old and the new watermark would be counted twice). Without parallel workers: each
    query reads at most a month of rows, or the stored groups (aftersales.replica.read_snapshot)."""
    with read_snapshot(parallel=False):
        summarised = watermarks(scope.month.minus(offset) for offset in range(TREND_MONTHS))
        tables = kpi_tables(scope, summarised=summarised)
        summary = total(tables["branch"])
        months = trend(scope, summarised=summarised, month_total=summary)
    return Dashboard(scope=scope, targets=kpi_targets(), tables=tables, summary=summary, months=months)
