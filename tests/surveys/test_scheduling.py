"""Accepting a ticket schedules the follow-up calls and the survey; reopening cancels the calls."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from notifications.models import Delivery
from notifications.tasks import deliver
from surveys.models import FollowUpCall, Outcome, Survey
from tests.surveys.factories import RecordingSms, accepted_ticket
from tickets.models import State
from tickets.services import apply_transition

pytestmark = pytest.mark.django_db


def test_accept_schedules_five_calls_and_a_survey_with_a_link(supervisor, technician):
    ticket = accepted_ticket(supervisor, technician=technician)
    today = timezone.localdate()
    calls = list(FollowUpCall.objects.filter(ticket=ticket).order_by("due_on"))
    assert [(call.offset, call.due_on) for call in calls] == [
        (days, today + datetime.timedelta(days=days)) for days in (7, 30, 91, 182, 365)
    ]
    assert {call.outcome for call in calls} == {Outcome.PENDING}
    assert {call.branch_id for call in calls} == {ticket.branch_id}
    survey = Survey.objects.get(ticket=ticket)
    assert survey.technician == technician and survey.branch_id == ticket.branch_id
    assert not survey.is_answered
    assert len(survey.token_hash) == 64
    assert survey.token_expires_at - timezone.now() > datetime.timedelta(days=29)


def test_due_dates_count_from_the_shanghai_date_of_acceptance(supervisor, monkeypatch):
    # 17:30 UTC on 27 November is already 01:30 on the 28th in Shanghai.
    late_evening_utc = datetime.datetime(2026, 11, 27, 17, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_evening_utc)
    ticket = accepted_ticket(supervisor)
    first = FollowUpCall.objects.filter(ticket=ticket).order_by("due_on").first()
    assert first.due_on == datetime.date(2026, 12, 5)


def test_offsets_come_from_the_setting(supervisor, settings):
    settings.FOLLOW_UP_OFFSETS_DAYS = (3, 14)
    ticket = accepted_ticket(supervisor)
    assert sorted(FollowUpCall.objects.filter(ticket=ticket).values_list("offset", flat=True)) == [3, 14]


def test_acceptance_queues_the_link_sms_in_the_outbox_and_the_worker_texts_it(
    supervisor, django_capture_on_commit_callbacks, settings
):
    settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms"
    RecordingSms.sent.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = accepted_ticket(supervisor, phone="13800138000")
    delivery = Delivery.objects.get(notification__kind="survey_link", notification__customer=ticket.customer)
    assert (delivery.channel, delivery.status) == ("sms", "pending") and callbacks
    assert RecordingSms.sent == []
    deliver.run([delivery.pk])
    [(phone, text)] = RecordingSms.sent
    assert phone == "13800138000"
    assert ticket.number in text and "/surveys/s/" in text


def test_reopen_cancels_the_pending_calls_and_a_new_acceptance_schedules_again(
    supervisor, dispatcher, technician
):
    ticket = accepted_ticket(supervisor, technician=technician)
    ticket = apply_transition(
        ticket_id=ticket.pk,
        user=dispatcher,
        name="reopen",
        expected_version=ticket.version,
        note="同一故障再次出现",
    )
    assert ticket.state == State.REPORTED
    assert set(FollowUpCall.objects.filter(ticket=ticket).values_list("outcome", flat=True)) == {
        Outcome.CANCELLED
    }
    # Driven back to acceptance: a fresh set of calls, the same (unanswered) survey with a new link.
    old_hash = Survey.objects.get(ticket=ticket).token_hash
    for name in ("dispatch", "check_in"):
        ticket = apply_transition(
            ticket_id=ticket.pk,
            user=dispatcher if name == "dispatch" else technician,
            name=name,
            expected_version=ticket.version,
            technician=technician,
        )
    type(ticket).objects.filter(pk=ticket.pk).update(state=State.AWAITING_ACCEPTANCE)
    apply_transition(ticket_id=ticket.pk, user=supervisor, name="accept", expected_version=None)
    assert FollowUpCall.objects.filter(ticket=ticket, outcome=Outcome.PENDING).count() == 5
    assert Survey.objects.filter(ticket=ticket).count() == 1
    assert Survey.objects.get(ticket=ticket).token_hash != old_hash


def test_sql_tallies_match_the_pure_definition(supervisor, persona, dispatcher):
    from surveys.scoring import aggregate
    from surveys.services import SurveyAnswers, store_answers

    other = persona(Role.TECHNICIAN, username="tech_b")
    batches = {
        "first": [(4, 4, 3, 2), (1, 2, 3, 4)],
        "second": [(3, 3, 3, 3)],
    }
    technicians = {"first": None, "second": other}
    for key, rows in batches.items():
        for levels in rows:
            ticket = accepted_ticket(
                supervisor, **({"technician": technicians[key]} if technicians[key] else {})
            )
            store_answers(
                ticket.survey, SurveyAnswers(*levels), via="agent", by=dispatcher, at=timezone.now()
            )
    accepted_ticket(supervisor)  # unanswered: not counted
    surveys = Survey.objects.all()
    expected = aggregate(s.answers() for s in surveys.answered())
    assert surveys.satisfaction_tally() == expected
    assert (expected.satisfied, expected.answers) == (9, 12)
    by_technician = surveys.satisfaction_by("technician")
    assert by_technician[other.pk].percent == 100
    assert sum(by_technician.values(), type(expected)()) == expected
