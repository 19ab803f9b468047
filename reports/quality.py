"""Quality analytics (issue #18 item 7): what repairs say about the product, for managers and the factory.

Definitions (shown on the page; a month is Asia/Shanghai's, reports.periods):
- reported: tickets reported in the month, cancelled ones left out;
- failures: of those, the ones whose fault cause is a quality problem (质量问题, not customer damage or a
  no-fault return);
- repeat repairs within 30 / 90 days: tickets reported in the month on a unit that had another ticket
  for the same fault completed within the 30 / 90 days before — the same fault code when both tickets
  have one, else the same fault category; a reopened ticket (重新报修) counts once more through its
  `repeat_count` in the first-time fix figure instead;
- first-time fix rate: of the tickets completed in the month (visit done or factory repair finished),
  those done in one visit and never reopened;
- mean time to repair: from logged (reported_at) to resolved (completed_at), in the working hours of the
  ticket's branch (aftersales.workcalendar), averaged over the tickets completed in the month;
- failures per 1,000 units in the field: the month's failures of a product model (and production batch)
  per 1,000 units of it registered (customers.Unit, with the scope's branch);
- parts and suppliers: parts consumed on repairs in the month (parts.PartUsage), by part and supplier.

Stored like the KPIs (reports.kpis): `summarise` keeps each month's counts per branch × product model ×
batch × fault code in `QualityMonth` up to a watermark, the periodic task refreshes them, and the page
counts live only the rows after the watermark. The working hours are what make this worth storing: they
are computed per ticket in Python (the calendar is not SQL).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.calendars import calendar_for_branch
from accounts.models import Branch
from aftersales.replica import read_snapshot
from aftersales.workcalendar import working_hours_between
from customers.models import ProductModel, Unit
from parts.models import PartUsage
from reports.kpis import Scope, Window, _during, _live_windows
from reports.metrics import percent
from reports.models import FieldUnits, QualityMonth, SummarisedQualityMonth
from reports.periods import Month
from tickets.models import FaultCause, FaultCode, RepairTicket, State

TREND_MONTHS = 12
REPEAT_WINDOWS = (30, 90)
HOURS = Decimal("0.01")
# The finest group: (branch id, product model id, batch, fault code id).
GROUP_PATHS = ("branch", "unit__product_model", "unit__batch", "fault_code")
COUNT_FIELDS = ("reported", "failures", "repeats_30", "repeats_90", "completed", "first_time_fixes")


@dataclass
class QualityRow:
    """The counts of one group (a model, a batch, a fault code, a month); the rates derive from them."""

    key: object = None
    name: str = ""
    reported: int = 0
    failures: int = 0
    repeats_30: int = 0
    repeats_90: int = 0
    completed: int = 0
    first_time_fixes: int = 0
    repair_hours: Decimal = Decimal(0)
    units: int = 0  # in the field, for the rate per 1,000 units (models and batches only)
    filters: dict = field(default_factory=dict)  # the ticket list's filter of this group (drill-down)

    @property
    def first_time_fix_rate(self) -> Decimal | None:
        return percent(self.first_time_fixes, self.completed)

    @property
    def repeat_rate_30(self) -> Decimal | None:
        return percent(self.repeats_30, self.reported)

    @property
    def repeat_rate_90(self) -> Decimal | None:
        return percent(self.repeats_90, self.reported)

    @property
    def mean_time_to_repair(self) -> Decimal | None:
        """Working hours from logged to resolved, on average."""
        if not self.completed:
            return None
        return (self.repair_hours / self.completed).quantize(Decimal("0.1"))

    @property
    def failures_per_thousand(self) -> Decimal | None:
        if not self.units:
            return None
        return (Decimal(self.failures) * 1000 / self.units).quantize(Decimal("0.01"))

    def add(self, other: QualityRow) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.repair_hours += other.repair_hours


# --- counting the raw rows ------------------------------------------------------------------------------


def earlier_same_fault(days: int) -> QuerySet:
    """The tickets that make the outer ticket (`OuterRef`) a repeat repair: of the same unit and fault —
    the same fault code when both have one, else the same fault category — completed within `days`
    before it was reported. The one definition of a repeat: the page counts the tickets that have one
    (`repeat_within`), the manufacturing report names the latest of them."""
    return (
        RepairTicket.objects.filter(
            unit=OuterRef("unit"),
            fault_category=OuterRef("fault_category"),
            completed_at__lt=OuterRef("reported_at"),
            completed_at__gte=OuterRef("reported_at") - datetime.timedelta(days=days),
        )
        .exclude(pk=OuterRef("pk"))
        .filter(
            Q(fault_code__isnull=True)
            | IsNull(OuterRef("fault_code"), True)
            | Q(fault_code=OuterRef("fault_code"))
        )
    )


def repeat_within(days: int) -> Exists:
    """Whether a ticket is a repeat repair within `days` (see earlier_same_fault)."""
    return Exists(earlier_same_fault(days))


def _tickets() -> QuerySet:
    return RepairTicket.objects.exclude(state=State.CANCELLED)


def _scoped(rows: QuerySet, branch: Branch | None) -> QuerySet:
    return rows.filter(branch=branch) if branch else rows


def count_cells(
    windows: list[Window], branch: Branch | None, calendars: dict | None = None
) -> dict[tuple, QualityRow]:
    """{(branch, model, batch, fault code): counts} of the tickets reported or completed in the windows:
    two grouped queries, and one more row query for the working hours of the completed tickets."""
    cells: dict[tuple, QualityRow] = defaultdict(QualityRow)
    if not windows:
        return cells
    reported = (
        _scoped(_tickets().filter(_during("reported_at", windows)), branch)
        .values(*GROUP_PATHS)
        .annotate(
            reported=Count("pk"),
            failures=Count("pk", filter=Q(fault_cause=FaultCause.QUALITY)),
            **{f"repeats_{days}": Count("pk", filter=repeat_within(days)) for days in REPEAT_WINDOWS},
        )
        .order_by()
    )
    for data in reported:
        row = cells[tuple(data[path] for path in GROUP_PATHS)]
        for name in ("reported", "failures", "repeats_30", "repeats_90"):
            setattr(row, name, getattr(row, name) + data[name])
    completed = (
        _scoped(_tickets().filter(_during("completed_at", windows)), branch)
        .values_list(*GROUP_PATHS, "reported_at", "completed_at", "visit_count", "repeat_count")
        .order_by()
    )
    calendars = {} if calendars is None else calendars  # {branch id: its working calendar}, reused
    for *group, reported_at, completed_at, visits, repeats in completed.iterator(chunk_size=5000):
        row = cells[tuple(group)]
        row.completed += 1
        row.first_time_fixes += visits <= 1 and repeats == 0
        branch_id = group[0]
        if branch_id not in calendars:
            calendars[branch_id] = calendar_for_branch(Branch.objects.get(pk=branch_id))
        hours = working_hours_between(calendars[branch_id], reported_at, completed_at)
        row.repair_hours += max(Decimal(hours.total_seconds()) / 3600, Decimal(0))
    for row in cells.values():
        row.repair_hours = row.repair_hours.quantize(HOURS)
    return cells


# --- the stored months ----------------------------------------------------------------------------------


def summarised_months(months: Iterable[Month]) -> dict[Month, datetime.datetime]:
    rows = SummarisedQualityMonth.objects.filter(month__in=[month.first_day for month in months])
    return {Month(day.year, day.month): through for day, through in rows.values_list("month", "through")}


def summarise(month: Month, now: datetime.datetime | None = None) -> int:
    """Store a month's counts per group up to `now` (its end once it is over), replacing what was stored;
    returns the number of groups. Safe to run twice: the second run replaces the first."""
    now = now or timezone.now()
    if month.start >= now:
        raise ValueError(f"{month} has not begun")
    through = min(month.end, now)
    cells = count_cells([(month.start, through)], None)
    with transaction.atomic():
        QualityMonth.objects.filter(month=month.first_day).delete()
        QualityMonth.objects.bulk_create(
            QualityMonth(
                month=month.first_day,
                branch_id=branch,
                product_model_id=model,
                batch=batch or "",
                fault_code_id=code,
                repair_hours=row.repair_hours,
                **{name: getattr(row, name) for name in COUNT_FIELDS},
            )
            for (branch, model, batch, code), row in cells.items()
        )
        SummarisedQualityMonth.objects.update_or_create(
            month=month.first_day, defaults={"through": through, "summarised_at": timezone.now()}
        )
    return len(cells)


def summarisable_months(today: datetime.date, back: int = TREND_MONTHS) -> list[Month]:
    """The current month, the last complete one (late entries) and any of the trend not stored yet."""
    current = Month(today.year, today.month)
    months = [current.minus(offset) for offset in range(back + 1)]
    done = summarised_months(months)
    return sorted(
        {current, current.minus(1), *(month for month in months if month not in done)},
        key=lambda month: month.start,
    )


def _stored_cells(months: list[Month], branch: Branch | None) -> QuerySet:
    rows = QualityMonth.objects.filter(month__in=[month.first_day for month in months])
    return rows.filter(branch=branch) if branch else rows


# --- the page -------------------------------------------------------------------------------------------


@dataclass
class PartRow:
    part_id: int
    code: str
    name: str
    supplier: str
    quantity: int
    tickets: int


@dataclass
class QualityReport:
    scope: Scope
    summary: QualityRow
    by_model: list[QualityRow]
    by_batch: list[QualityRow]
    by_fault_code: list[QualityRow]
    by_part: list[PartRow]
    by_supplier: list[PartRow]
    months: list[QualityRow]


def month_cells(
    scope: Scope, summarised: dict[Month, datetime.datetime], calendars: dict | None = None
) -> list[tuple[tuple, QualityRow]]:
    """The scope month's cells: stored (if summarised) plus live after the watermark."""
    cells: list[tuple[tuple, QualityRow]] = []
    if scope.month in summarised:
        for stored in _stored_cells([scope.month], scope.branch).values(
            "branch_id", "product_model_id", "batch", "fault_code_id", "repair_hours", *COUNT_FIELDS
        ):
            row = QualityRow(repair_hours=stored["repair_hours"], **{n: stored[n] for n in COUNT_FIELDS})
            key = (stored["branch_id"], stored["product_model_id"], stored["batch"], stored["fault_code_id"])
            cells.append((key, row))
    live = count_cells(_live_windows([scope.month], summarised), scope.branch, calendars)
    cells.extend(live.items())
    return cells


def _group(cells, index_of, name_of, filters_of) -> list[QualityRow]:
    groups: dict[object, QualityRow] = {}
    for key, row in cells:
        group = index_of(key)
        if group not in groups:
            groups[group] = QualityRow(key=group, name=name_of(group), filters=filters_of(group))
        groups[group].add(row)
    return list(groups.values())


def _pareto(rows: list[QualityRow]) -> list[QualityRow]:
    return sorted(rows, key=lambda row: (-row.failures, -row.reported, row.name))


def count_field_units() -> int:
    """Store the units registered per branch × model × batch (the periodic task runs it with the
    summaries); returns the number of groups. Replaces what was stored, so it is safe to run twice."""
    grouped = (
        Unit.objects.values_list("owner__branch", "product_model", "batch").annotate(n=Count("pk")).order_by()
    )
    now = timezone.now()
    rows = [
        FieldUnits(branch_id=branch, product_model_id=model, batch=batch, units=count, counted_at=now)
        for branch, model, batch, count in grouped
    ]
    with transaction.atomic():
        FieldUnits.objects.all().delete()
        FieldUnits.objects.bulk_create(rows)
    return len(rows)


def _units_in_field(branch: Branch | None) -> tuple[dict[int, int], dict[tuple[int, str], int]]:
    """Units per model and per (model, batch): the stored counts (count_field_units), or counted now
    when none are stored yet (before the periodic task's first run)."""
    stored = FieldUnits.objects.all()
    if branch:
        stored = stored.filter(branch=branch)
    rows = list(stored.values_list("product_model", "batch").annotate(n=Sum("units")).order_by())
    if not rows and not FieldUnits.objects.exists():
        units = Unit.objects.all()
        if branch:
            units = units.filter(owner__branch=branch)
        rows = list(units.values_list("product_model", "batch").annotate(n=Count("pk")).order_by())
    by_model: dict[int, int] = defaultdict(int)
    by_batch: dict[tuple[int, str], int] = {}
    for model, batch, count in rows:
        by_model[model] += count
        by_batch[(model, batch)] = count
    return by_model, by_batch


def parts_replaced(scope: Scope) -> list[PartRow]:
    """Parts consumed on repairs in the month, by part (with its supplier), most first: one query."""
    usages = PartUsage.objects.filter(
        status=PartUsage.Status.CONSUMED,
        created_at__gte=scope.month.start,
        created_at__lt=scope.month.end,
    )
    if scope.branch:
        usages = usages.filter(ticket__branch=scope.branch)
    grouped = (
        usages.values("part", "part__code", "part__name", "part__supplier__name")
        .annotate(quantity=Sum("quantity"), tickets=Count("ticket", distinct=True))
        .order_by("-quantity", "part__code")
    )
    return [
        PartRow(
            part_id=data["part"],
            code=data["part__code"],
            name=data["part__name"],
            supplier=data["part__supplier__name"] or "",
            quantity=data["quantity"],
            tickets=data["tickets"],
        )
        for data in grouped
    ]


def by_supplier(parts: list[PartRow]) -> list[PartRow]:
    suppliers: dict[str, PartRow] = {}
    for part in parts:
        row = suppliers.setdefault(part.supplier, PartRow(0, "", part.supplier, part.supplier, 0, 0))
        row.quantity += part.quantity
        row.tickets += part.tickets
    return sorted(suppliers.values(), key=lambda row: (-row.quantity, row.supplier))


def trend(
    scope: Scope,
    summarised: dict[Month, datetime.datetime],
    cells: list[tuple[tuple, QualityRow]],
    months: int = TREND_MONTHS,
    calendars: dict | None = None,
) -> list[QualityRow]:
    """The 12 months up to the scope's, oldest first. The scope's month is the sum of its `cells`, which
    the page has counted already (month_cells); the others are one query over the stored months and a
    live count of what is not stored (the month after a month never summarised, or the current month's
    last hour when an earlier month is shown)."""
    first = scope.month.minus(months - 1)
    by_month: dict[Month, QualityRow] = {}
    for offset in range(months):
        month = first.minus(-offset)
        label = f"{month.year}-{month.month:02d}" if offset == 0 or month.month == 1 else f"{month.month:02d}"
        by_month[month] = QualityRow(key=month, name=label, filters={"month": str(month)})
    others = [month for month in by_month if month != scope.month]
    stored = [month for month in others if month in summarised]
    if stored:
        grouped = (
            _stored_cells(stored, scope.branch)
            .values("month")
            .annotate(repair_hours=Sum("repair_hours"), **{name: Sum(name) for name in COUNT_FIELDS})
            .order_by()
        )
        for data in grouped:
            row = by_month[Month(data["month"].year, data["month"].month)]
            row.add(QualityRow(repair_hours=data["repair_hours"], **{n: data[n] for n in COUNT_FIELDS}))
    for month in others:
        windows = _live_windows([month], summarised)
        for cell in count_cells(windows, scope.branch, calendars).values():
            by_month[month].add(cell)
    for _key, row in cells:
        by_month[scope.month].add(row)
    return list(by_month.values())


def quality_report(scope: Scope) -> QualityReport:
    """Everything the quality page shows, from one snapshot of the database (as reports.kpis.dashboard)."""
    with read_snapshot():
        summarised = summarised_months(scope.month.minus(offset) for offset in range(TREND_MONTHS))
        calendars: dict = {}  # the branches' working calendars, built once for the whole page
        cells = month_cells(scope, summarised, calendars)
        models = _names(ProductModel, {key[1] for key, _row in cells})
        codes = _names(FaultCode, {key[3] for key, _row in cells if key[3]})
        units_by_model, units_by_batch = _units_in_field(scope.branch)
        parts = parts_replaced(scope)
        months = trend(scope, summarised, cells, calendars=calendars)
    month = {"month": str(scope.month)}
    by_model = _group(
        cells,
        lambda key: key[1],
        lambda model: models.get(model, ""),
        lambda model: month | {"product_model": model},
    )
    for row in by_model:
        row.units = units_by_model.get(row.key, 0)
    by_batch = _group(
        cells,
        lambda key: (key[1], key[2] or ""),
        lambda group: "{} · {}".format(models.get(group[0], ""), group[1] or _("未填批次")),
        lambda group: month | {"product_model": group[0], "batch": group[1] or "-"},
    )
    for row in by_batch:
        row.units = units_by_batch.get(row.key, 0)
    by_code = _group(
        cells,
        lambda key: key[3],
        lambda code: codes.get(code, "") if code else str(_("无故障代码")),
        lambda code: month | {"fault_code": code or "-"},
    )
    summary = QualityRow(name=str(_("合计")), filters=month)
    for _key, row in cells:
        summary.add(row)
    summary.units = sum(units_by_model.values())
    return QualityReport(
        scope=scope,
        summary=summary,
        by_model=_pareto(by_model),
        by_batch=_pareto(by_batch),
        by_fault_code=_pareto(by_code),
        by_part=parts,
        by_supplier=by_supplier(parts),
        months=months,
    )


def _names(model, ids: set) -> dict[int, str]:
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
