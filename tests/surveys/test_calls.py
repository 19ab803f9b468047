"""Recording follow-up calls (§2-三): retries, the survey and the follow_up transition, complaints."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.errors import UserError
from surveys import services
from surveys.models import AnsweredVia, Complaint, ComplaintSource, FollowUpCall, Outcome, Survey
from surveys.services import CallRecord
from tests.surveys.factories import ALL_SATISFIED, accepted_ticket
from tickets.models import State, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(supervisor, technician):
    return accepted_ticket(supervisor, technician=technician)


def first_call(ticket) -> FollowUpCall:
    return FollowUpCall.objects.filter(ticket=ticket).order_by("due_on").first()


def survey_post(**overrides) -> dict:
    data = {
        "reached": "True",
        "satisfied": "True",
        "notes": "客户表示空调运行正常",
        "survey-attitude": "4",
        "survey-skill": "3",
        "survey-punctuality": "4",
        "survey-promises": "3",
        "survey-comment": "师傅很专业",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class TestRecordCall:
    def test_the_first_call_reached_records_the_survey_and_closes_the_ticket(self, ticket, dispatcher):
        call = services.record_call(
            call_id=first_call(ticket).pk,
            user=dispatcher,
            record=CallRecord(reached=True, satisfied=True, notes="运行正常", survey=ALL_SATISFIED),
        )
        assert (call.outcome, call.attempts, call.called_by) == (Outcome.REACHED, 1, dispatcher)
        survey = Survey.objects.get(ticket=ticket)
        assert survey.answers() == {"attitude": 4, "skill": 3, "punctuality": 4, "promises": 3}
        assert (survey.answered_via, survey.answered_by, survey.comment) == (
            AnsweredVia.AGENT,
            dispatcher,
            "师傅很专业",
        )
        ticket.refresh_from_db()
        assert ticket.state == State.CLOSED and ticket.closed_at is not None
        event = TicketEvent.objects.filter(ticket=ticket).latest("at", "pk")
        assert (event.action, event.actor) == ("follow_up", dispatcher)
        # The later calls stay scheduled (§2-三-2) and no longer carry the survey.
        assert FollowUpCall.objects.filter(ticket=ticket, outcome=Outcome.PENDING).count() == 4

    def test_the_first_call_cannot_be_recorded_without_the_survey(self, ticket, dispatcher):
        with pytest.raises(UserError, match="满意度调查") as refused:
            services.record_call(
                call_id=first_call(ticket).pk,
                user=dispatcher,
                record=CallRecord(reached=True, satisfied=True),
            )
        assert refused.value.field == "attitude"
        ticket.refresh_from_db()
        assert ticket.state == State.ACCEPTED
        assert first_call(ticket).outcome == Outcome.PENDING

    def test_a_survey_answered_by_link_lets_the_call_close_the_ticket_without_asking_again(
        self, ticket, dispatcher
    ):
        token = services.issue_link(survey_id=ticket.survey.pk, user=dispatcher, send_sms=False)[0].rsplit(
            "/", 2
        )[-2]
        services.answer_by_link(token=token, answers=ALL_SATISFIED)
        services.record_call(
            call_id=first_call(ticket).pk, user=dispatcher, record=CallRecord(reached=True, satisfied=True)
        )
        ticket.refresh_from_db()
        assert ticket.state == State.CLOSED
        assert Survey.objects.get(ticket=ticket).answered_via == AnsweredVia.LINK

    def test_unanswered_calls_are_retried_next_day_then_marked_unreachable(
        self, ticket, dispatcher, settings
    ):
        settings.FOLLOW_UP_MAX_ATTEMPTS = 3
        call = first_call(ticket)
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        for attempt in (1, 2):
            call = services.record_call(call_id=call.pk, user=dispatcher, record=CallRecord(reached=False))
            assert (call.outcome, call.attempts, call.due_on) == (Outcome.PENDING, attempt, tomorrow)
        call = services.record_call(call_id=call.pk, user=dispatcher, record=CallRecord(reached=False))
        assert (call.outcome, call.attempts) == (Outcome.UNREACHABLE, 3)
        ticket.refresh_from_db()
        assert ticket.state == State.ACCEPTED  # the next call will carry the survey

    def test_a_problem_found_opens_a_complaint_from_the_follow_up(self, ticket, dispatcher):
        call = services.record_call(
            call_id=first_call(ticket).pk,
            user=dispatcher,
            record=CallRecord(
                reached=True,
                satisfied=False,
                problem_found=True,
                notes="空调又出现异响,客户不满",
                survey=ALL_SATISFIED,
            ),
        )
        complaint = Complaint.objects.get()
        assert complaint.follow_up_call == call and complaint.ticket == ticket
        assert complaint.source == ComplaintSource.FOLLOW_UP
        assert complaint.contact_name == ticket.customer.name and complaint.contact_phone == "13912345678"
        assert complaint.plan_due_at - complaint.received_at == datetime.timedelta(hours=72)

    def test_a_problem_needs_its_description(self, ticket, dispatcher):
        with pytest.raises(UserError, match="写明问题"):
            services.record_call(
                call_id=first_call(ticket).pk,
                user=dispatcher,
                record=CallRecord(reached=True, satisfied=False, problem_found=True, survey=ALL_SATISFIED),
            )
        assert not Complaint.objects.exists()

    def test_only_a_dispatcher_of_the_branch_records_calls(self, ticket, supervisor, persona, branch_b):
        for user in (supervisor, persona(Role.DISPATCHER, branch_b, "hz_disp")):
            with pytest.raises(PermissionDenied):
                services.record_call(
                    call_id=first_call(ticket).pk, user=user, record=CallRecord(reached=False)
                )

    def test_a_call_recorded_already_is_refused(self, ticket, dispatcher):
        call = first_call(ticket)
        record = CallRecord(reached=True, satisfied=True, survey=ALL_SATISFIED)
        services.record_call(call_id=call.pk, user=dispatcher, record=record)
        with pytest.raises(UserError, match="已记录"):
            services.record_call(call_id=call.pk, user=dispatcher, record=record)


class TestCallScreen:
    def test_the_queue_lists_calls_due_today_or_earlier_oldest_first(
        self, client, ticket, dispatcher, supervisor
    ):
        today = timezone.localdate()
        late = accepted_ticket(supervisor)
        FollowUpCall.objects.filter(pk=first_call(ticket).pk).update(due_on=today)
        FollowUpCall.objects.filter(pk=first_call(late).pk).update(due_on=today - datetime.timedelta(days=2))
        client.force_login(dispatcher)
        page = client.get(reverse("surveys:call_queue")).content.decode()
        assert page.index(late.number) < page.index(ticket.number)
        assert "139 1234 5678" in page or "13912345678" in page
        assert "含满意度调查" in page and "逾期" in page

    def test_the_queue_is_empty_when_nothing_is_due(self, client, ticket, dispatcher):
        client.force_login(dispatcher)
        assert "今天没有待回访的电话" in client.get(reverse("surveys:call_queue")).content.decode()

    def test_recording_through_the_form_closes_the_ticket(self, client, ticket, dispatcher):
        client.force_login(dispatcher)
        url = reverse("surveys:call", args=[first_call(ticket).pk])
        page = client.get(url).content.decode()
        assert "满意度调查(首次回访必填)" in page and "服务态度" in page
        response = client.post(url, survey_post())
        assert response.status_code == 302 and response.url == reverse("surveys:call_queue")
        ticket.refresh_from_db()
        assert ticket.state == State.CLOSED

    def test_a_missing_answer_is_named_and_nothing_is_saved(self, client, ticket, dispatcher):
        client.force_login(dispatcher)
        url = reverse("surveys:call", args=[first_call(ticket).pk])
        response = client.post(url, survey_post(**{"survey-skill": None}))
        assert response.status_code == 200
        assert "请选择“技术水平”的满意程度。" in response.content.decode()
        ticket.refresh_from_db()
        assert ticket.state == State.ACCEPTED and not Survey.objects.get(ticket=ticket).is_answered

    def test_not_reached_needs_no_survey(self, client, ticket, dispatcher):
        client.force_login(dispatcher)
        response = client.post(reverse("surveys:call", args=[first_call(ticket).pk]), {"reached": "False"})
        assert response.status_code == 302
        assert first_call(ticket).attempts == 1

    def test_a_problem_leads_to_the_new_complaint(self, client, ticket, dispatcher):
        client.force_login(dispatcher)
        response = client.post(
            reverse("surveys:call", args=[first_call(ticket).pk]),
            survey_post(problem_found="on", notes="遥控器失灵", complaint_severity="general"),
        )
        complaint = Complaint.objects.get()
        assert response.url == complaint.get_absolute_url()

    def test_outsiders_get_404_and_read_only_insiders_403(
        self, client, ticket, supervisor, persona, branch_b
    ):
        url = reverse("surveys:call", args=[first_call(ticket).pk])
        client.force_login(persona(Role.DISPATCHER, branch_b, "hz_disp"))
        assert client.get(url).status_code == 404
        client.force_login(supervisor)
        assert client.get(url).status_code == 200
        assert client.post(url, survey_post()).status_code == 403
        client.force_login(persona(Role.TECHNICIAN, username="tech2"))
        assert client.get(reverse("surveys:call_queue")).status_code == 403

    def test_the_agent_issues_a_new_link_shown_once(self, client, ticket, dispatcher, settings):
        settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms"
        client.force_login(dispatcher)
        old_hash = Survey.objects.get(ticket=ticket).token_hash
        response = client.post(
            reverse("surveys:call_link", args=[first_call(ticket).pk]), {"send_sms": "on"}, follow=True
        )
        page = response.content.decode()
        assert "调查链接已发送至 13912345678" in page and "/surveys/s/" in page
        assert Survey.objects.get(ticket=ticket).token_hash != old_hash


def test_queue_queries_do_not_grow_with_rows(client, supervisor, dispatcher):
    def due_tickets(n):
        for _ in range(n):
            ticket = accepted_ticket(supervisor)
            FollowUpCall.objects.filter(pk=first_call(ticket).pk).update(due_on=timezone.localdate())

    client.force_login(dispatcher)
    due_tickets(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("surveys:call_queue")).status_code == 200
    due_tickets(6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("surveys:call_queue")).status_code == 200
    assert len(many) == len(few)


def test_headquarters_sees_every_branch_queue_or_one(client, supervisor, persona, branch_b, headquarters):
    hz_ticket = accepted_ticket(persona(Role.SUPERVISOR, branch_b, "hz_sup"))
    sh_ticket = accepted_ticket(supervisor)
    for ticket in (hz_ticket, sh_ticket):
        FollowUpCall.objects.filter(pk=first_call(ticket).pk).update(due_on=timezone.localdate())
    client.force_login(persona(Role.GENERAL_MANAGER, headquarters, "gm"))
    everything = client.get(reverse("surveys:call_queue")).content.decode()
    assert hz_ticket.number in everything and sh_ticket.number in everything
    hangzhou = client.get(reverse("surveys:call_queue"), {"branch": "HZ"}).content.decode()
    assert hz_ticket.number in hangzhou and sh_ticket.number not in hangzhou
