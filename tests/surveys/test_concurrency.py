"""Two submissions of the same survey link at once, on the real PostgreSQL: exactly one answers."""

from __future__ import annotations

import pytest

from accounts.models import Role
from surveys import services
from surveys.models import Survey
from surveys.services import SurveyAnswers
from tests.surveys.factories import accepted_ticket
from tests.tickets.test_concurrency import race


@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_link_answer_once(postgres, reference_data, persona):
    supervisor, dispatcher = persona(Role.SUPERVISOR), persona(Role.DISPATCHER)
    ticket = accepted_ticket(supervisor)
    url, _phone = services.issue_link(survey_id=ticket.survey.pk, user=dispatcher, send_sms=False)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    happy = SurveyAnswers(attitude=4, skill=4, punctuality=4, promises=4, comment="第一次提交")
    unhappy = SurveyAnswers(attitude=1, skill=1, punctuality=1, promises=1, comment="第二次提交")
    outcomes = race(
        lambda: services.answer_by_link(token=token, answers=happy),
        lambda: services.answer_by_link(token=token, answers=unhappy),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, Survey)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, services.LinkUsed)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    survey = Survey.objects.get(ticket=ticket)
    assert survey.comment == winners[0].comment
    assert survey.answers() == winners[0].answers()
