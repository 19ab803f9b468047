"""Daily reports (§7-十五、十六, §5 第二十二条): the technician's hours per ticket by service category
A/B/C/D, and the supervisor's report that sums the branch's technicians.

A day's work is what was finished that day (Asia/Shanghai): service reports the customer signed that
day (the visit's labour hours) and repair tags of return-to-factory repairs finished that day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Role, User
from reports.kpis import CATEGORIES
from reports.periods import day_bounds
from tickets.models import RepairTag, ServiceCategory, ServiceReport, TicketHelper, helped_ticket_ids

VISIT = _("上门服务")
FACTORY = _("返厂维修")


def _zero_hours() -> dict[str, Decimal]:
    return dict.fromkeys(CATEGORIES, Decimal(0))


@dataclass
class Line:
    ticket_id: int
    ticket: str
    customer: str
    product_model: str
    kind: str
    work: str
    category: str
    at: datetime.datetime
    hours: Decimal

    @property
    def by_category(self) -> dict[str, Decimal | None]:
        return {category: self.hours if category == self.category else None for category in CATEGORIES}


@dataclass
class TechnicianDay:
    technician: User
    day: datetime.date
    lines: list[Line]
    categories = ServiceCategory.choices

    @property
    def totals(self) -> dict[str, Decimal]:
        totals = _zero_hours()
        for line in self.lines:
            totals[line.category] += line.hours
        return totals

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), Decimal(0))


def _day(field_name: str, day: datetime.date) -> Q:
    start, end = day_bounds(day)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


LINE_FIELDS = {
    "ticket_pk": F("ticket_id"),
    "ticket_number": F("ticket__number"),
    "customer": F("ticket__customer__name"),
    "model": F("ticket__unit__product_model__code"),
    "category": F("ticket__service_category"),
}


def technician_day(technician: User, day: datetime.date) -> TechnicianDay:
    """Two queries, whatever the number of tickets. A visit counts for its lead, who signed the report,
    and for each helper sent with them (R1.two-people): everyone who went has the visit's hours."""
    visits = (
        ServiceReport.objects.filter(
            Q(technician=technician) | Q(ticket_id__in=helped_ticket_ids(technician)), _day("signed_at", day)
        )
        .values(at=F("signed_at"), hours=F("labour_hours"), work=F("work_done"), **LINE_FIELDS)
        .order_by("signed_at", "pk")
    )
    repairs = (
        RepairTag.objects.filter(_day("finished_at", day), entry__ticket__technician=technician)
        .values(
            at=F("finished_at"),
            hours=F("labour_hours"),
            work=F("work_done"),
            **{name: F(f"entry__{expression.name}") for name, expression in LINE_FIELDS.items()},
        )
        .order_by("finished_at", "pk")
    )
    lines = [_line(row, VISIT) for row in visits] + [_line(row, FACTORY) for row in repairs]
    lines.sort(key=lambda line: line.at)
    return TechnicianDay(technician=technician, day=day, lines=lines)


def _line(row: dict, kind) -> Line:
    return Line(
        ticket_id=row["ticket_pk"],
        ticket=row["ticket_number"],
        customer=row["customer"],
        product_model=row["model"],
        kind=str(kind),
        work=row["work"],
        category=row["category"],
        at=row["at"],
        hours=row["hours"] or Decimal(0),
    )


@dataclass
class TechnicianTotals:
    technician: User
    hours: dict[str, Decimal] = field(default_factory=_zero_hours)
    tickets: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.hours.values(), Decimal(0))


@dataclass
class BranchDay:
    branch: Branch
    day: datetime.date
    rows: list[TechnicianTotals]
    categories = ServiceCategory.choices

    @property
    def totals(self) -> dict[str, Decimal]:
        totals = _zero_hours()
        for row in self.rows:
            for category, hours in row.hours.items():
                totals[category] += hours
        return totals

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), Decimal(0))

    @property
    def tickets(self) -> int:
        return sum(row.tickets for row in self.rows)


def branch_day(branch: Branch, day: datetime.date) -> BranchDay:
    """The supervisor's daily report: every active technician of the branch, summed in SQL (4 queries).

    A ticket counts once per technician and kind of work on the day (a visit and a factory repair of
    the same ticket on the same day count as two jobs)."""
    technicians = {
        user.pk: TechnicianTotals(technician=user)
        for user in User.objects.filter(branch=branch, is_active=True, groups__name=Role.TECHNICIAN).order_by(
            "last_name", "first_name", "username"
        )
    }
    visits = (
        ServiceReport.objects.filter(_day("signed_at", day), ticket__branch=branch)
        .values(person=F("technician_id"), category=F("ticket__service_category"))
        .annotate(hours=Sum("labour_hours"), tickets=Count("ticket", distinct=True))
        .order_by()
    )
    repairs = (
        RepairTag.objects.filter(
            _day("finished_at", day), entry__ticket__branch=branch, entry__ticket__technician__isnull=False
        )
        .values(person=F("entry__ticket__technician_id"), category=F("entry__ticket__service_category"))
        .annotate(hours=Sum("labour_hours"), tickets=Count("entry__ticket", distinct=True))
        .order_by()
    )
    # The helpers of two-person jobs (R1.two-people) have the visit's hours as well as its lead.
    helped = (
        TicketHelper.objects.filter(_day("ticket__reports__signed_at", day), ticket__branch=branch)
        .values(person=F("technician_id"), category=F("ticket__service_category"))
        .annotate(hours=Sum("ticket__reports__labour_hours"), tickets=Count("ticket", distinct=True))
        .order_by()
    )
    missing = set()
    grouped = [*visits, *repairs, *helped]
    for row in grouped:
        if row["person"] not in technicians:
            missing.add(row["person"])
    if missing:
        # Someone who has since left the branch or the technician role still had hours that day.
        for user in User.objects.filter(pk__in=missing):
            technicians[user.pk] = TechnicianTotals(technician=user)
    for row in grouped:
        totals = technicians[row["person"]]
        totals.hours[row["category"]] += row["hours"] or Decimal(0)
        totals.tickets += row["tickets"]
    return BranchDay(branch=branch, day=day, rows=list(technicians.values()))
