"""Maintenance contracts (category B), repeat repairs recognised from the unit's tickets, the unit page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory
from tickets.services import CallDetails, log_call
from warranty.models import MaintenanceContract

CALL = CallDetails(fault_category="appliance", fault_description="异响")


@pytest.mark.django_db
def test_a_call_under_an_active_contract_is_contract_service_and_says_so(dispatcher, branch_a):
    today = timezone.localdate()
    unit = UnitFactory(owner__branch=branch_a, purchase_date=today - datetime.timedelta(days=900))
    MaintenanceContract.objects.create(
        number="BY-1",
        customer=unit.owner,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=300),
    )
    ticket = log_call(user=dispatcher, unit=unit, details=CALL)
    assert (ticket.service_category, ticket.warranty_remedy) == ("B", "free_repair")
    assert "contract" in [reason["code"] for reason in ticket.warranty_decision["reasons"]]


@pytest.mark.django_db
def test_an_expired_contract_does_not_count(dispatcher, branch_a):
    today = timezone.localdate()
    unit = UnitFactory(owner__branch=branch_a, purchase_date=today - datetime.timedelta(days=900))
    MaintenanceContract.objects.create(
        number="BY-2",
        customer=unit.owner,
        unit=unit,
        start_date=today - datetime.timedelta(days=400),
        end_date=today - datetime.timedelta(days=1),
    )
    ticket = log_call(user=dispatcher, unit=unit, details=CALL)
    assert (ticket.service_category, ticket.warranty_remedy) == ("A", "paid_repair")


@pytest.mark.django_db
def test_an_earlier_finished_repair_of_the_same_fault_extends_the_warranty(dispatcher, branch_a):
    today = timezone.localdate()
    unit = UnitFactory(owner__branch=branch_a, purchase_date=today - datetime.timedelta(days=380))
    TicketFactory(unit=unit, closed=True, completed_at=timezone.now() - datetime.timedelta(days=100))
    TicketFactory(unit=unit, cancelled=True)  # a cancelled call is not a repair
    TicketFactory(unit=unit, closed=True, completed_at=timezone.now(), fault_category="body")  # another fault
    ticket = log_call(user=dispatcher, unit=unit, details=CALL)
    assert ticket.warranty_remedy == "free_repair"
    assert "repeat_extension" in [reason["code"] for reason in ticket.warranty_decision["reasons"]]


@pytest.mark.django_db
def test_the_unit_page_shows_warranty_end_and_earlier_repairs(client, dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a, purchase_date=datetime.date(2026, 1, 31))
    earlier = TicketFactory(unit=unit, closed=True)
    client.force_login(dispatcher)
    TicketFactory(unit=unit, closed=True, completed_at=timezone.now())
    TicketFactory(unit=unit, cancelled=True, completed_at=timezone.now())
    page = client.get(unit.get_absolute_url()).content.decode()
    assert earlier.number in page
    assert "家用电器:1 次" in page
    assert (
        "2027-03-31" in page
    )  # 12 months + 2 for the one finished repair of the same fault  # the factory's first ticket has no completed_at: not a finished repair


@pytest.mark.django_db
def test_expiring_contracts_lists_the_next_month_only(client, dispatcher, branch_a, branch_b):
    today = timezone.localdate()
    mine = UnitFactory(owner__branch=branch_a)
    theirs = UnitFactory(owner__branch=branch_b)
    start = today - datetime.timedelta(days=300)
    MaintenanceContract.objects.create(
        number="BY-SOON", customer=mine.owner, start_date=start, end_date=today + datetime.timedelta(days=20)
    )
    MaintenanceContract.objects.create(
        number="BY-LATER", customer=mine.owner, start_date=start, end_date=today + datetime.timedelta(days=45)
    )
    MaintenanceContract.objects.create(
        number="BY-PAST", customer=mine.owner, start_date=start, end_date=today - datetime.timedelta(days=1)
    )
    MaintenanceContract.objects.create(
        number="BY-OTHER",
        customer=theirs.owner,
        start_date=start,
        end_date=today + datetime.timedelta(days=5),
    )
    client.force_login(dispatcher)
    page = client.get(reverse("warranty:expiring_contracts")).content.decode()
    assert "BY-SOON" in page
    assert not any(number in page for number in ("BY-LATER", "BY-PAST", "BY-OTHER"))
