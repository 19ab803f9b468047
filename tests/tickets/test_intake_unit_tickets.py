"""Intake: the chosen unit's open and recent tickets are on the page (issue #16), in constant queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_units_open_and_recent_tickets_show_when_it_is_chosen(client, dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a)
    now = timezone.now()
    open_one = TicketFactory(unit=unit, dispatched=True, fault_description="外机异响", reported_at=now)
    closed = [
        TicketFactory(unit=unit, closed=True, reported_at=now - datetime.timedelta(days=30 * n))
        for n in range(1, 8)
    ]
    other_unit = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:intake"), {"unit": unit.pk}).content.decode()
    open_part = page[
        page.index('data-testid="unit-open-tickets"') : page.index('data-testid="unit-recent-tickets"')
    ]
    recent_part = page[page.index('data-testid="unit-recent-tickets"') :]
    assert open_one.number in open_part and "外机异响" in open_part and "已派工" in open_part
    # The five latest finished ones, newest first; older ones are on the unit's page.
    shown = [ticket.number for ticket in closed if ticket.number in recent_part]
    assert shown == [ticket.number for ticket in closed[:5]]
    assert other_unit.number not in page


def test_constant_queries_whatever_the_units_history(client, dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a)
    client.force_login(dispatcher)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("tickets:intake"), {"unit": unit.pk})
        return len(queries)

    TicketFactory(unit=unit, dispatched=True)
    TicketFactory(unit=unit, closed=True)
    few = count()
    for _ in range(6):
        TicketFactory(unit=unit, dispatched=True)
        TicketFactory(unit=unit, closed=True)
    assert count() == few


def test_a_unit_without_history_says_so(client, dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a)
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:intake"), {"unit": unit.pk}).content.decode()
    assert 'data-testid="unit-open-tickets"' not in page and 'data-testid="unit-recent-tickets"' in page
