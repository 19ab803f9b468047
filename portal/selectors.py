"""What a signed-in customer may read: their own tickets and units, nothing else (404 for the rest)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from customers.models import Unit
from portal.session import CustomerAccess
from tickets.models import RepairTicket


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
