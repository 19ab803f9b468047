"""The technician finds the real cause on site: the verdict is recomputed, both stay in history."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.errors import UserError
from tests.customers.factories import UnitFactory
from tickets.models import TicketEvent
from tickets.services import CallDetails, apply_transition, log_call, revise_fault


@pytest.fixture
def ticket_on_site(dispatcher, technician, branch_a):
    unit = UnitFactory(
        owner__branch=branch_a, purchase_date=timezone.localdate() - datetime.timedelta(days=40)
    )
    ticket = log_call(
        user=dispatcher,
        unit=unit,
        details=CallDetails(fault_category="appliance", fault_description="不制冷"),
    )
    ticket = apply_transition(
        ticket_id=ticket.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=ticket.version,
        technician=technician,
    )
    return apply_transition(
        ticket_id=ticket.pk, user=technician, name="check_in", expected_version=ticket.version
    )


@pytest.mark.django_db
def test_customer_damage_found_on_site_turns_free_repair_into_paid(ticket_on_site, technician):
    assert (ticket_on_site.warranty_remedy, ticket_on_site.service_category) == ("free_repair", "C")
    revised = revise_fault(
        ticket_id=ticket_on_site.pk,
        user=technician,
        expected_version=ticket_on_site.version,
        fault_cause="customer",
        conditions=frozenset(),
        note="外壳有摔落痕迹,属人为损坏",
    )
    assert (revised.warranty_remedy, revised.service_category, revised.fault_cause) == (
        "paid_repair",
        "A",
        "customer",
    )
    event = TicketEvent.objects.get(ticket=revised, action="revise_verdict")
    assert event.data["before"]["remedy"] == "free_repair" and event.data["after"]["remedy"] == "paid_repair"
    assert event.actor == technician and event.note.startswith("外壳")


@pytest.mark.django_db
def test_the_page_shows_both_verdicts_in_the_timeline(client, ticket_on_site, technician):
    client.force_login(technician)
    response = client.post(
        reverse("tickets:revise_fault", args=[ticket_on_site.pk]),
        {"version": ticket_on_site.version, "fault_cause": "customer", "note": "进水损坏"},
        follow=True,
    )
    page = response.content.decode()
    assert "已修改故障原因并重新判定保修" in page
    assert "免费维修 → <strong>有偿维修</strong>" in page


@pytest.mark.django_db
def test_a_reason_is_required_and_outsiders_are_refused(ticket_on_site, persona, branch_b, technician):
    with pytest.raises(UserError):
        revise_fault(
            ticket_id=ticket_on_site.pk,
            user=technician,
            expected_version=None,
            fault_cause="customer",
            conditions=frozenset(),
            note=" ",
        )
    for user in (persona(Role.FINANCE), persona(Role.DISPATCHER, branch=branch_b)):
        with pytest.raises(PermissionDenied):
            revise_fault(
                ticket_id=ticket_on_site.pk,
                user=user,
                expected_version=None,
                fault_cause="customer",
                conditions=frozenset(),
                note="x",
            )


@pytest.mark.django_db
def test_a_condition_of_another_policy_is_refused(ticket_on_site, technician):
    with pytest.raises(UserError, match="不适用"):
        revise_fault(
            ticket_id=ticket_on_site.pk,
            user=technician,
            expected_version=None,
            fault_cause="quality",
            conditions=frozenset({"gift"}),
            note="赠品",
        )
