"""The customer's survey link: no login, single use, expiring; refusals are clear pages (410 / 404)."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.errors import UserError
from surveys import services
from surveys.models import AnsweredVia, FollowUpCall, Survey
from surveys.services import CallRecord
from tests.surveys.factories import ALL_SATISFIED, accepted_ticket

pytestmark = pytest.mark.django_db

ANSWERS = {"attitude": "4", "skill": "4", "punctuality": "2", "promises": "3", "comment": "来得有点晚"}


@pytest.fixture
def link(supervisor, dispatcher):
    """(survey, token): a fresh link issued by the dispatcher."""
    ticket = accepted_ticket(supervisor)
    url, _phone = services.issue_link(survey_id=ticket.survey.pk, user=dispatcher, send_sms=False)
    return Survey.objects.get(ticket=ticket), url.rstrip("/").rsplit("/", 1)[-1]


def test_only_the_sha256_of_the_token_is_stored(link):
    survey, token = link
    assert len(token) >= 43  # secrets.token_urlsafe(32): 256 random bits
    assert survey.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Survey.objects.filter(token_hash=token).exists()


def test_an_anonymous_customer_answers_once(client, link):
    survey, token = link
    url = reverse("surveys:answer", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert survey.ticket.number in body and "很满意" in body and "答应事情的办理" in body
    response = client.post(url, ANSWERS)
    assert response.status_code == 302 and response.url == reverse("surveys:thanks")
    survey.refresh_from_db()
    assert survey.answers() == {"attitude": 4, "skill": 4, "punctuality": 2, "promises": 3}
    assert (survey.answered_via, survey.answered_by, survey.comment) == (AnsweredVia.LINK, None, "来得有点晚")
    again = client.get(url)
    assert again.status_code == 410
    assert "这份调查已经提交过了" in again.content.decode()
    assert client.post(url, ANSWERS).status_code == 410


def test_an_incomplete_answer_is_shown_again_with_the_question_named(client, link):
    survey, token = link
    response = client.post(reverse("surveys:answer", args=[token]), {**ANSWERS, "skill": ""})
    assert response.status_code == 200
    assert "请选择“技术水平”的满意程度。" in response.content.decode()
    survey.refresh_from_db()
    assert not survey.is_answered


def test_an_expired_link_is_refused(client, link):
    survey, token = link
    Survey.objects.filter(pk=survey.pk).update(
        token_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.get(reverse("surveys:answer", args=[token]))
    assert response.status_code == 410
    assert "这个调查链接已过期" in response.content.decode()
    assert client.post(reverse("surveys:answer", args=[token]), ANSWERS).status_code == 410
    survey.refresh_from_db()
    assert not survey.is_answered


def test_an_unknown_token_is_404_with_the_same_page(client, link):
    response = client.get(reverse("surveys:answer", args=["x" * 43]))
    assert response.status_code == 404
    assert "链接无效" in response.content.decode()


def test_a_new_link_voids_the_old_one(client, link, dispatcher):
    survey, old = link
    services.issue_link(survey_id=survey.pk, user=dispatcher, send_sms=False)
    assert client.get(reverse("surveys:answer", args=[old])).status_code == 404


def test_a_survey_answered_by_the_agent_refuses_its_link(client, link, dispatcher):
    survey, token = link
    call = FollowUpCall.objects.filter(ticket=survey.ticket).order_by("due_on").first()
    services.record_call(
        call_id=call.pk,
        user=dispatcher,
        record=CallRecord(reached=True, satisfied=True, survey=ALL_SATISFIED),
    )
    assert client.get(reverse("surveys:answer", args=[token])).status_code == 410


def test_no_link_for_an_answered_survey(link, dispatcher):
    survey, token = link
    services.answer_by_link(token=token, answers=ALL_SATISFIED)
    with pytest.raises(UserError, match="已经答复"):
        services.issue_link(survey_id=survey.pk, user=dispatcher, send_sms=False)
