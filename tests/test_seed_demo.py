import pytest
from django.core.management import call_command

from accounts.models import Role, User
from tickets.models import RepairTicket, State, TicketEvent


@pytest.mark.django_db
def test_demo_data_has_a_login_per_role_tickets_in_every_state_and_is_idempotent(settings):
    call_command("seed_demo", customers=20)
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
    call_command("seed_demo", customers=20)
    assert (User.objects.count(), RepairTicket.objects.count(), TicketEvent.objects.count()) == counts
