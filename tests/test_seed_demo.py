import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Role, User
from aftersales.demo import MODEL_FAULTS, ZONE_DISTANCES
from customers.models import Customer, FaultCategory, Unit
from loadtest import checks
from surveys.models import FollowUpCall
from tickets.models import RepairTicket, SlaAlert, State, TicketEvent


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data of 20 customers, seeded once for the module (each test only reads it, or writes in
    its own transaction) and rolled back after it."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        call_command("seed_demo", customers=20, stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_demo_data_has_a_login_per_role_tickets_in_every_state_and_is_idempotent(demo, settings):
    counts = (User.objects.count(), RepairTicket.objects.count(), TicketEvent.objects.count())
    for username in (
        "admin",
        "dispatcher",
        "technician",
        "supervisor",
        "warehouse",
        "finance",
        "manager",
        "gm",
    ):
        user = User.objects.get(username=username)
        assert user.check_password(settings.DEMO_PASSWORD)
    assert User.objects.get(username="gm").has_role(Role.GENERAL_MANAGER)
    assert set(RepairTicket.objects.values_list("state", flat=True)) == set(State.values)
    # Built through the services: every ticket has its history, ending in its state.
    for ticket in RepairTicket.objects.prefetch_related("events"):
        assert [event.to_state for event in ticket.events.all()][-1] == ticket.state
    # Every completed visit has the customer's signed, hashed service report (§1-3.3.2).
    completed = RepairTicket.objects.filter(events__action="complete_visit")
    assert completed.exists()
    assert all(ticket.reports.get().content_sha256 for ticket in completed)
    # The soak's check of every history against its ticket's state and version holds for the demo's too
    # (it missed the appointments, 出发 and fault codes once: every version-bumping event must be known there).
    history = checks.check_history()
    assert history.ok, history.detail
    call_command("seed_demo", customers=20)
    assert (User.objects.count(), RepairTicket.objects.count(), TicketEvent.objects.count()) == counts


@pytest.mark.django_db
def test_demo_data_makes_sense_as_a_service_department_would_see_it(demo):
    """Issue #16: addresses in the branch's city, faults that fit the product, no city bus owned by a
    private person, overdue tickets with their alerts, three months of history, and no follow-up call
    due before its ticket was logged."""
    now = timezone.now()
    for customer in Customer.objects.select_related("branch").filter(branch__code__in=["SH", "HZ"]):
        assert customer.address.startswith({"SH": "上海市", "HZ": "杭州市"}[customer.branch.code])
        low, high = ZONE_DISTANCES[customer.service_zone]
        assert low <= customer.distance_km <= high, customer
    for ticket in RepairTicket.objects.select_related("unit__product_model"):
        assert ticket.fault_description in MODEL_FAULTS[ticket.unit.product_model.code], ticket
    assert not RepairTicket.objects.filter(
        unit__product_model__code="XQG100-B14", fault_description__contains="制冷"
    )
    assert not Unit.objects.filter(
        owner__kind=Customer.Kind.PERSON,
        product_model__category__in=[FaultCategory.BODY, FaultCategory.CHASSIS_ENGINE],
    ).exists()
    overdue = RepairTicket.objects.open().filter(due_at__lt=now, clock_paused=False)
    assert overdue.exists()
    assert SlaAlert.objects.filter(deadline__ticket__in=overdue).exists()
    months = {
        timezone.localdate(at).replace(day=1)
        for at in RepairTicket.objects.values_list("reported_at", flat=True)
    }
    assert len(months) >= 3 and min(months) <= timezone.localdate() - datetime.timedelta(days=60)
    assert RepairTicket.objects.filter(
        state=State.CLOSED, closed_at__lt=now - datetime.timedelta(days=30)
    ).exists()
    for call in FollowUpCall.objects.select_related("ticket"):
        assert call.due_on >= timezone.localdate(call.ticket.reported_at), call
    # The accepted tickets' first calls are due today, so 今日回访 has work.
    assert FollowUpCall.objects.filter(ticket__state=State.ACCEPTED, due_on=timezone.localdate()).exists()


@pytest.mark.django_db
def test_the_demo_has_open_visits_with_agreed_windows_for_the_timeline(demo):
    booked = RepairTicket.objects.filter(appointment_start__isnull=False)
    assert booked.filter(state=State.DISPATCHED).exists() and booked.filter(state=State.REPORTED).exists()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert {timezone.localtime(ticket.appointment_start).date() for ticket in booked} == {tomorrow}
    assert TicketEvent.objects.filter(action="set_appointment").count() == booked.count()
