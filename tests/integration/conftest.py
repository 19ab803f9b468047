"""What the integration tests share: a branch's team, and a ticket whose arrival deadline is breached."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Role
from tests.customers.factories import UnitFactory
from tickets.models import RepairTicket, TicketDeadline
from tickets.services import CallDetails, apply_transition, log_call


@pytest.fixture
def team(persona, branch_a):
    return {role: persona(role) for role in (Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR)}


def breached_ticket(team, branch) -> RepairTicket:
    unit = UnitFactory(
        owner__branch=branch,
        owner__distance_km=10,
        product_model__name="城市客车",
        product_model__category="body",
    )
    ticket = log_call(
        user=team[Role.DISPATCHER],
        unit=unit,
        details=CallDetails(fault_category="body", fault_description="车门关不上"),
    )
    apply_transition(
        ticket_id=ticket.pk,
        user=team[Role.DISPATCHER],
        name="dispatch",
        expected_version=None,
        technician=team[Role.TECHNICIAN],
    )
    arrival = TicketDeadline.objects.get(ticket=ticket, milestone="arrival")
    past = arrival.due_at - timedelta(hours=30)
    TicketDeadline.objects.filter(pk=arrival.pk).update(
        warn_at=past - timedelta(hours=5), due_at=past, escalate_at=past + timedelta(days=30)
    )
    return ticket
