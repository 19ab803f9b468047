"""Two people pressing at once on the real PostgreSQL, each on their own connection: one wins."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from accounts.models import Role
from aftersales.errors import UserError
from tests.concurrency import race
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State, TicketEvent
from tickets.services import apply_transition


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_assigning_at_once(postgres, reference_data, persona, branch_a):
    dispatcher, supervisor = persona(Role.DISPATCHER), persona(Role.SUPERVISOR)
    first, second = (
        persona(Role.TECHNICIAN, username="tech_one"),
        persona(Role.TECHNICIAN, username="tech_two"),
    )
    ticket = TicketFactory(unit__owner__branch=branch_a)
    outcomes = race(
        lambda: apply_transition(
            ticket_id=ticket.pk,
            user=dispatcher,
            name="dispatch",
            expected_version=ticket.version,
            technician=first,
        ),
        lambda: apply_transition(
            ticket_id=ticket.pk,
            user=supervisor,
            name="dispatch",
            expected_version=ticket.version,
            technician=second,
        ),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, RepairTicket)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, UserError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "已被他人更新" in str(losers[0])
    ticket.refresh_from_db()
    assert (ticket.technician, ticket.version) == (winners[0].technician, 2)
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db(transaction=True)
def test_cancel_and_check_in_at_once(postgres, reference_data, persona, branch_a):
    dispatcher = persona(Role.DISPATCHER)
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
    outcomes = race(
        lambda: apply_transition(
            ticket_id=ticket.pk,
            user=dispatcher,
            name="cancel",
            expected_version=ticket.version,
            note="客户取消",
        ),
        lambda: apply_transition(
            ticket_id=ticket.pk, user=ticket.technician, name="check_in", expected_version=ticket.version
        ),
    )
    assert sum(isinstance(outcome, RepairTicket) for outcome in outcomes) == 1, outcomes
    ticket.refresh_from_db()
    events = list(TicketEvent.objects.filter(ticket=ticket))
    assert len(events) == 1 and events[0].to_state == ticket.state
    assert ticket.state in (State.CANCELLED, State.ON_SITE)


@pytest.mark.django_db(transaction=True)
def test_ten_calls_at_once_get_ten_different_consecutive_numbers(postgres, reference_data, persona, branch_a):
    from tests.customers.factories import UnitFactory
    from tickets.services import CallDetails, log_call

    dispatcher = persona(Role.DISPATCHER)
    units = [UnitFactory(owner__branch=branch_a) for _ in range(10)]
    details = CallDetails(fault_category="appliance", fault_description="不制冷")
    outcomes = race(
        *[lambda unit=unit: log_call(user=dispatcher, unit=unit, details=details) for unit in units]
    )
    numbers = sorted(outcome.number for outcome in outcomes)
    assert [number.rsplit("-", 1)[1] for number in numbers] == [f"{n:04d}" for n in range(1, 11)]


@pytest.mark.django_db(transaction=True)
def test_threads_of_one_worker_read_their_tickets_anew_at_once(postgres, reference_data, branch_a):
    """A gunicorn worker's threads refresh tickets at the same moment (the signature's answer does): none
    may fail. django-fsm-2 lifted the state's protection for the whole class during a refresh, so one
    thread's refresh put it back under another's feet ("Direct state modification", a 500 in make soak)."""
    tickets = [TicketFactory(unit__owner__branch=branch_a) for _ in range(2)]

    def refresh_many(ticket):
        def attempt():
            for _ in range(300):
                ticket.refresh_from_db()
            return ticket.state

        return attempt

    outcomes = race(*(refresh_many(RepairTicket.objects.get(pk=t.pk)) for t in tickets))
    assert outcomes == [State.REPORTED, State.REPORTED]


@pytest.mark.django_db
def test_a_copy_loaded_before_another_transition_cannot_save_over_it(dispatcher, persona, branch_a):
    """django-fsm's guard (ConcurrentTransitionMixin), with the state fields found once per model
    (aftersales.fsm.StateFieldsOnce): a row whose state moved since it was loaded is not overwritten."""
    technician = persona(Role.TECHNICIAN)
    ticket = TicketFactory(unit__owner__branch=branch_a)
    stale = RepairTicket.objects.get(pk=ticket.pk)
    apply_transition(
        ticket_id=ticket.pk, user=dispatcher, name="dispatch", expected_version=None, technician=technician
    )
    stale.cancel(at=timezone.now())
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.DISPATCHED
    assert [field.name for field in stale.state_fields] == ["state"]
