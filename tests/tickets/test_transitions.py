"""Every transition × every role: who may press it, from which states, and what it writes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Role
from aftersales.errors import UserError
from tests.accounts.factories import UserFactory
from tests.tickets.factories import ServiceReportFactory, TicketFactory
from tickets.models import State, TicketEvent
from tickets.services import apply_transition, available_transitions

# transition -> (a source state, the resulting state, personas allowed). Written out by hand from
# DESIGN §3, not derived from tickets.permissions, so that a change to the table shows up here.
EXPECTED = {
    # Reassignment, so that the "assignee" persona exists; from `reported` in the source-state test.
    "dispatch": (
        State.DISPATCHED,
        State.DISPATCHED,
        {"dispatcher", "supervisor", "hq_dispatcher", "hq_supervisor"},
    ),
    "check_in": (State.DISPATCHED, State.ON_SITE, {"assignee"}),
    "complete_visit": (State.ON_SITE, State.AWAITING_ACCEPTANCE, {"assignee"}),
    "request_return": (State.ON_SITE, State.RMA_REQUESTED, {"dispatcher", "assignee", "hq_dispatcher"}),
    "approve_return": (State.RMA_REQUESTED, State.IN_FACTORY, {"supervisor", "hq_supervisor"}),
    "reject_return": (State.RMA_REQUESTED, State.DISPATCHED, {"supervisor", "hq_supervisor"}),
    "finish_factory_repair": (State.IN_FACTORY, State.AWAITING_PICKUP, {"assignee"}),
    "hand_over": (State.AWAITING_PICKUP, State.AWAITING_ACCEPTANCE, {"dispatcher", "hq_dispatcher"}),
    "accept": (State.AWAITING_ACCEPTANCE, State.ACCEPTED, {"supervisor", "hq_supervisor"}),
    "follow_up": (State.ACCEPTED, State.CLOSED, {"dispatcher", "hq_dispatcher"}),
    "cancel": (
        State.DISPATCHED,
        State.CANCELLED,
        {"dispatcher", "supervisor", "hq_dispatcher", "hq_supervisor"},
    ),
    "reopen": (State.CLOSED, State.REPORTED, {"dispatcher", "hq_dispatcher"}),
}
SOURCES = {
    "dispatch": {State.REPORTED, State.DISPATCHED},
    "check_in": {State.DISPATCHED},
    "complete_visit": {State.ON_SITE},
    "request_return": {State.REPORTED, State.ON_SITE},
    "approve_return": {State.RMA_REQUESTED},
    "reject_return": {State.RMA_REQUESTED},
    "finish_factory_repair": {State.IN_FACTORY},
    "hand_over": {State.AWAITING_PICKUP},
    "accept": {State.AWAITING_ACCEPTANCE},
    "follow_up": {State.ACCEPTED},
    "cancel": {
        State.REPORTED,
        State.DISPATCHED,
        State.ON_SITE,
        State.RMA_REQUESTED,
        State.IN_FACTORY,
        State.AWAITING_PICKUP,
        State.AWAITING_ACCEPTANCE,
    },
    "reopen": {State.ACCEPTED, State.CLOSED},
}
PERSONAS = [
    "dispatcher",
    "supervisor",
    "assignee",
    "other_technician",
    "warehouse",
    "finance",
    "manager",
    "general_manager",
    "admin",
    "other_branch_dispatcher",
    "other_branch_supervisor",
    "hq_dispatcher",
    "hq_supervisor",
]


@pytest.fixture
def people(branch_a, branch_b, headquarters, persona):
    return {
        "dispatcher": persona(Role.DISPATCHER),
        "supervisor": persona(Role.SUPERVISOR),
        "other_technician": persona(Role.TECHNICIAN, username="other_tech"),
        "warehouse": persona(Role.WAREHOUSE),
        "finance": persona(Role.FINANCE),
        "manager": persona(Role.MANAGER),
        "general_manager": persona(Role.GENERAL_MANAGER),
        "admin": persona(Role.ADMIN),
        "other_branch_dispatcher": persona(Role.DISPATCHER, branch=branch_b),
        "other_branch_supervisor": persona(Role.SUPERVISOR, branch=branch_b),
        "hq_dispatcher": persona(Role.DISPATCHER, branch=headquarters),
        "hq_supervisor": persona(Role.SUPERVISOR, branch=headquarters),
    }


def arguments(name: str, ticket) -> dict:
    if name == "dispatch":
        # Another technician than any already assigned: 派工 again to the same crew is refused as a no-op.
        return {"technician": UserFactory(branch=ticket.branch, roles=[Role.TECHNICIAN])}
    if name in (
        "request_return",
        "reject_return",
        "cancel",
        "reopen",
        "complete_visit",
        "finish_factory_repair",
    ):
        return {"note": "现场无法修复"}
    return {}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("who", PERSONAS)
def test_who_may_press_each_transition(name, who, people, branch_a):
    source, target, allowed = EXPECTED[name]
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        state=source,
        assigned=source != State.REPORTED,
        signed_report=name == "complete_visit",
    )
    user = ticket.technician if who == "assignee" else people[who]
    kwargs = arguments(name, ticket)
    if who in allowed:
        result = apply_transition(
            ticket_id=ticket.pk, user=user, name=name, expected_version=ticket.version, **kwargs
        )
        assert result.state == target
        assert result.version == ticket.version + 1
        event = TicketEvent.objects.get(ticket=ticket)  # the factory writes no history of its own
        assert (event.actor, event.action, event.from_state, event.to_state) == (user, name, source, target)
    else:
        with pytest.raises(PermissionDenied):
            apply_transition(
                ticket_id=ticket.pk, user=user, name=name, expected_version=ticket.version, **kwargs
            )
        ticket.refresh_from_db()
        assert ticket.state == source
        assert not TicketEvent.objects.filter(ticket=ticket).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("state", list(State))
def test_each_transition_only_from_its_source_states(name, state, people, branch_a):
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        state=state,
        assigned=state not in (State.REPORTED, State.CANCELLED),
        signed_report=state == State.ON_SITE,
    )
    allowed = EXPECTED[name][2]
    user = (
        ticket.technician
        if "assignee" in allowed and ticket.technician
        else people[sorted(allowed - {"assignee"} or {"dispatcher"})[0]]
    )
    kwargs = arguments(name, ticket)
    if state in SOURCES[name]:
        apply_transition(ticket_id=ticket.pk, user=user, name=name, expected_version=ticket.version, **kwargs)
    else:
        with pytest.raises(UserError, match="不能执行"):
            apply_transition(
                ticket_id=ticket.pk, user=user, name=name, expected_version=ticket.version, **kwargs
            )
        ticket.refresh_from_db()
        assert ticket.state == state


@pytest.mark.django_db
def test_reject_without_technician_goes_back_to_the_queue(people, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, state=State.RMA_REQUESTED)
    result = apply_transition(
        ticket_id=ticket.pk,
        user=people["supervisor"],
        name="reject_return",
        expected_version=ticket.version,
        note="可现场修复",
    )
    assert result.state == State.REPORTED


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["request_return", "reject_return", "cancel", "reopen", "complete_visit"])
def test_reason_is_required(name, people, branch_a):
    source = EXPECTED[name][0]
    ticket = TicketFactory(unit__owner__branch=branch_a, state=source, assigned=True)
    user = (
        ticket.technician
        if "assignee" in EXPECTED[name][2]
        else people[sorted(EXPECTED[name][2] - {"assignee"})[0]]
    )
    with pytest.raises(UserError) as error:
        apply_transition(
            ticket_id=ticket.pk, user=user, name=name, expected_version=ticket.version, note="  "
        )
    assert error.value.field == "note"
    assert "请填写" in str(error.value)


@pytest.mark.django_db
def test_dispatch_refuses_a_technician_of_another_branch(people, branch_b, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    stranger = UserFactory(branch=branch_b, roles=[Role.TECHNICIAN])
    with pytest.raises(UserError, match="不属于工单所在网点"):
        apply_transition(
            ticket_id=ticket.pk,
            user=people["dispatcher"],
            name="dispatch",
            expected_version=ticket.version,
            technician=stranger,
        )


@pytest.mark.django_db
def test_dispatch_refuses_someone_who_is_not_a_technician(people, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    with pytest.raises(UserError, match="不是在岗技术员"):
        apply_transition(
            ticket_id=ticket.pk,
            user=people["dispatcher"],
            name="dispatch",
            expected_version=ticket.version,
            technician=people["warehouse"],
        )


@pytest.mark.django_db
def test_a_stale_version_loses_and_writes_nothing(people, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
    with pytest.raises(UserError, match="已被他人更新"):
        apply_transition(
            ticket_id=ticket.pk,
            user=people["dispatcher"],
            name="cancel",
            expected_version=ticket.version - 1,
            note="重复报修",
        )
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED
    assert not TicketEvent.objects.exists()


@pytest.mark.django_db
def test_the_time_a_ticket_entered_its_state_moves_with_the_state_only(people, branch_a):
    long_ago = timezone.now() - datetime.timedelta(days=3)
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True, state_changed_at=long_ago)
    reassigned = apply_transition(
        ticket_id=ticket.pk,
        user=people["dispatcher"],
        name="dispatch",
        expected_version=ticket.version,
        technician=people["other_technician"],
    )
    assert reassigned.state == State.DISPATCHED
    assert reassigned.state_changed_at == long_ago  # a new technician, still waiting for the visit
    before = timezone.now()
    on_site = apply_transition(
        ticket_id=ticket.pk,
        user=people["other_technician"],
        name="check_in",
        expected_version=reassigned.version,
    )
    assert on_site.state_changed_at >= before
    on_site.refresh_from_db()
    assert on_site.state_changed_at == TicketEvent.objects.filter(ticket=ticket).latest("at").at


@pytest.mark.django_db
def test_reopen_counts_a_repeat_repair_and_clears_the_assignment(people, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, closed=True)
    result = apply_transition(
        ticket_id=ticket.pk,
        user=people["dispatcher"],
        name="reopen",
        expected_version=ticket.version,
        note="同一故障再次出现",
    )
    assert (result.state, result.repeat_count, result.technician) == (State.REPORTED, 1, None)


@pytest.mark.django_db
def test_complete_visit_needs_the_customers_signature_on_the_report(branch_a):
    """§1-3.3.2: the FSM guard refuses completion until this visit's report is signed."""
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)
    ServiceReportFactory(ticket=ticket)  # complete, but not signed
    assert "complete_visit" not in available_transitions(ticket, ticket.technician)
    with pytest.raises(UserError, match="服务报告尚未由客户签字"):
        apply_transition(
            ticket_id=ticket.pk,
            user=ticket.technician,
            name="complete_visit",
            expected_version=ticket.version,
            note="已修复",
        )
    ticket.refresh_from_db()
    assert ticket.state == State.ON_SITE
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


@pytest.mark.django_db
def test_check_in_starts_a_new_visit_that_needs_its_own_signature(branch_a, people):
    """A visit after a rejected return gets a new report: the old signature does not carry over."""
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, signed_report=True)
    ticket = apply_transition(
        ticket_id=ticket.pk,
        user=ticket.technician,
        name="request_return",
        expected_version=ticket.version,
        note="需返厂",
    )
    ticket = apply_transition(
        ticket_id=ticket.pk,
        user=people["supervisor"],
        name="reject_return",
        expected_version=ticket.version,
        note="现场可修",
    )
    ticket = apply_transition(
        ticket_id=ticket.pk, user=ticket.technician, name="check_in", expected_version=ticket.version
    )
    assert (ticket.visit_count, ticket.report_signed) == (2, False)
    assert "complete_visit" not in available_transitions(ticket, ticket.technician)
