"""DESIGN §3: an accepted ticket closes with its first follow-up call, recorded with the survey — a
bare `follow_up` from the ticket page or the API is refused while the survey is unanswered."""

import pytest
from django.urls import reverse

from accounts.models import Role
from aftersales.errors import UserError
from surveys.models import Survey
from surveys.services import CallRecord, SurveyAnswers, record_call
from tests.tickets.factories import TicketFactory
from tickets.models import State
from tickets.services import apply_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(persona, branch_a):
    ticket = TicketFactory(awaiting_acceptance=True, unit__owner__branch=branch_a)
    return apply_transition(
        ticket_id=ticket.pk, user=persona(Role.SUPERVISOR), name="accept", expected_version=None
    )


def test_a_bare_follow_up_is_refused_while_the_survey_is_unanswered(accepted, dispatcher):
    with pytest.raises(UserError, match="满意度调查"):
        apply_transition(ticket_id=accepted.pk, user=dispatcher, name="follow_up", expected_version=None)
    accepted.refresh_from_db()
    assert accepted.state == State.ACCEPTED


def test_the_ticket_page_leads_to_the_call_which_closes_the_ticket(accepted, dispatcher, client):
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:detail", args=[accepted.pk])).content.decode()
    assert 'data-testid="record-follow-up"' in page
    assert reverse("tickets:transition", args=[accepted.pk, "follow_up"]) not in page
    call = accepted.follow_up_calls.order_by("due_on").first()
    answers = SurveyAnswers(attitude=4, skill=4, punctuality=3, promises=4)
    record_call(
        call_id=call.pk, user=dispatcher, record=CallRecord(reached=True, satisfied=True, survey=answers)
    )
    accepted.refresh_from_db()
    assert accepted.state == State.CLOSED and Survey.objects.get(ticket=accepted).is_answered
