"""What a signed-in customer may read: their own tickets and units, nothing else (404 for the rest)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from customers.models import Unit
from portal.session import CustomerAccess
from tickets.models import RepairTicket
from tickets.selectors import open_tickets_of_unit, verdict_for_unit


def customer_tickets(access: CustomerAccess) -> QuerySet[RepairTicket]:
    tickets = RepairTicket.objects.filter(customer_id__in=access.customer_ids)
    if access.ticket_id is not None:
        tickets = tickets.filter(pk=access.ticket_id)
    return tickets.select_related("unit__product_model", "technician").order_by("-reported_at", "-pk")


def access_customer_ticket(access: CustomerAccess, pk: int) -> RepairTicket:
    """The customer's own ticket, or 404 (another customer's, or another ticket than the link's)."""
    ticket = customer_tickets(access).filter(pk=pk).first()
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


def customer_units(access: CustomerAccess) -> QuerySet[Unit]:
    if not access.whole_account:
        return Unit.objects.none()
    return (
        Unit.objects.filter(owner_id__in=access.customer_ids).select_related("product_model").order_by("pk")
    )


def access_customer_unit(access: CustomerAccess, pk: int) -> Unit:
    """The customer's own unit, or 404 (another customer's; any unit for a one-ticket link session)."""
    unit = customer_units(access).select_related("owner__branch").filter(pk=pk).first()
    if unit is None:
        raise Http404("No such unit")
    return unit


def verdict_now(unit: Unit) -> dict:
    """The warranty verdict intake would give the unit's fault today (a quality fault of its product's
    category: the customer cannot judge the cause; the technician revises it on site)."""
    return verdict_for_unit(
        unit,
        report_date=timezone.localdate(),
        fault="quality",
        fault_category=unit.product_model.category,
    ).as_dict()


def open_ticket_of_unit(unit: Unit) -> RepairTicket | None:
    tickets = open_tickets_of_unit(unit)
    return tickets[0] if tickets else None
