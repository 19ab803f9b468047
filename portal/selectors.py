"""What a signed-in customer may read: their own tickets and units, nothing else (404 for the rest)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from customers.models import Unit
from portal.session import CustomerAccess
from portal.timeline import Step, TicketFacts, customer_steps
from surveys.models import Complaint, ComplaintSource, Survey
from tickets.models import RepairTicket, ServiceReport, State, TicketEvent
from tickets.return_services import GOODS_STATES, latest_entry
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


def _eta(ticket: RepairTicket) -> datetime.datetime | None:
    """The arrival time the technician gave at their last departure (tickets.services.depart)."""
    if ticket.departed_at is None:
        return None
    event = TicketEvent.objects.filter(ticket=ticket, action="depart").order_by("-at", "-pk").first()
    raw = (event.data or {}).get("eta") if event else None
    return timezone.localtime(datetime.datetime.fromisoformat(raw)) if raw else None


def _pickup_receipt(ticket: RepairTicket) -> str:
    """The number of the receipt the customer collects a factory repair with, once it is repaired (the
    pickup notice names it, tickets.return_services.finish_factory_repair)."""
    if ticket.state not in GOODS_STATES or ticket.state == State.IN_FACTORY:
        return ""
    entry = latest_entry(ticket)
    receipt = getattr(entry, "receipt", None) if entry else None
    return receipt.number if receipt else ""


def customer_progress(ticket: RepairTicket, survey: Survey | None) -> tuple[Step, ...]:
    """The steps of the ticket in the customer's words; `survey` is the ticket's (ticket_survey)."""
    technician = ticket.technician
    facts = TicketFacts(
        state=ticket.state,
        reported_at=ticket.reported_at,
        dispatched_at=ticket.dispatched_at,
        technician_name=(technician.get_full_name() or technician.username) if technician else "",
        departed_at=ticket.departed_at,
        eta=_eta(ticket),
        arrived_at=ticket.arrived_at,
        completed_at=ticket.completed_at,
        in_factory=ticket.state in (State.IN_FACTORY, State.AWAITING_PICKUP),
        pickup_receipt=_pickup_receipt(ticket),
        survey_answered_at=survey.answered_at if survey else None,
        closed_at=ticket.closed_at,
    )
    return customer_steps(facts)


def signed_reports(ticket: RepairTicket) -> list[ServiceReport]:
    """The service vouchers the customer may download: the signed reports of the ticket's visits."""
    return list(ServiceReport.objects.filter(ticket=ticket, signed_at__isnull=False).order_by("visit"))


def ticket_survey(ticket: RepairTicket) -> Survey | None:
    """The ticket's survey (one a ticket), answered or waiting for the customer's answer."""
    return Survey.objects.filter(ticket=ticket).only("pk", "ticket_id", "answered_at").first()


def channel_complaints(ticket: RepairTicket) -> list[Complaint]:
    """The complaints the customer raised on this ticket in the channel, newest first."""
    return list(
        Complaint.objects.filter(ticket=ticket, source=ComplaintSource.CHANNEL).order_by(
            "-received_at", "-pk"
        )[:5]
    )
