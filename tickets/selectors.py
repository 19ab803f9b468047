"""Read queries of the tickets app that views, the API and the pages of other apps share."""

from __future__ import annotations

import datetime

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Count, Func, Q, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from accounts.models import Branch, User
from customers.models import Customer, FaultCategory, Unit
from tickets.models import OPEN_STATES, RepairTicket, ServiceReport, State
from tickets.search import MIN_TERM, search_terms, ticket_number
from warranty import rules
from warranty.services import decide_for_unit


class Bigrams(Func):
    """The two-character pieces of a text (migration 0019's immutable `tickets_bigrams`; PostgreSQL)."""

    function = "tickets_bigrams"
    output_field = ArrayField(TextField())


def _contains(text: str) -> Q:
    """Tickets whose search text contains `text` (upper case, at least tickets.search.MIN_TERM long).

    On PostgreSQL a LIKE '%…%' on the text's trigram index; a two-character term has no trigram and uses
    the index of the text's two-character pieces instead. Elsewhere (SQLite under make run) a scan."""
    if ticket_number(text):
        if not text[0].isdigit():  # SH-20261205-0042
            return Q(number=text)
        # 20261205-0042 without its branch: the number in any branch (one unique-index lookup each).
        return Q(number__in=Branch.objects.annotate(full=Concat("code", Value(f"-{text}"))).values("full"))
    if len(text) == MIN_TERM and connection.vendor == "postgresql":
        return Q(search_bigrams__contains=[text])
    return Q(search_text__contains=text)


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
    for alternatives in search_terms(data["q"]):
        # Every term must be in the ticket's search text (tickets.search); a term's alternatives: any.
        condition = Q()
        for text in alternatives:
            condition |= _contains(text)
        tickets = tickets.alias(search_bigrams=Bigrams("search_text")).filter(condition)
    return tickets


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
