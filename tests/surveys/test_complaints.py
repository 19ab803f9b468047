"""Complaints: 72-hour plan, major ones to the vice president (§7-二十六), the supervisor's visit
(§7-二十八) and the answer to the customer before closure."""

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
from notifications.models import Notification
from surveys import services
from surveys.models import Complaint, ComplaintState, Severity
from surveys.services import ComplaintDetails
from tests.surveys.factories import ComplaintFactory, accepted_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def vice_president(persona, headquarters):
    return persona(Role.GENERAL_MANAGER, headquarters, "gm")


def open_one(user, **details) -> Complaint:
    return services.open_complaint(
        user=user,
        details=ComplaintDetails(
            source=details.pop("source", "call"),
            description=details.pop("description", "维修后空调仍然漏水"),
            contact_name=details.pop("contact_name", "张伟"),
            **details,
        ),
    )


def planned(complaint, supervisor):
    return services.record_plan(
        complaint_id=complaint.pk,
        user=supervisor,
        expected_version=None,
        plan="48 小时内派技术员复查并免费更换排水管",
        severity=complaint.severity,
        service_at_fault=True,
    )


def visit(complaint, supervisor, **overrides):
    arguments = {
        "visited_by": supervisor,
        "visited_at": timezone.now(),
        "notes": "上门致歉,确认漏水已修复",
    }
    arguments.update(overrides)
    return services.record_visit(
        complaint_id=complaint.pk, user=supervisor, expected_version=None, **arguments
    )


def answer(complaint, user):
    return services.record_answer(
        complaint_id=complaint.pk,
        user=user,
        expected_version=None,
        channel="phone",
        text="已电话告知处理结果",
    )


def test_opening_numbers_it_and_sets_the_72_hour_plan_deadline(dispatcher):
    complaint = open_one(dispatcher)
    assert complaint.number == f"SH-TS-{timezone.localdate():%Y%m%d}-0001"
    assert complaint.state == ComplaintState.RECEIVED
    assert complaint.plan_due_at - complaint.received_at == datetime.timedelta(hours=72)


def test_a_major_complaint_goes_to_the_vice_president_once(dispatcher, vice_president, supervisor):
    complaint = open_one(dispatcher, severity=Severity.MAJOR)
    [message] = Notification.objects.filter(recipient=vice_president)
    assert complaint.number in message.subject and message.link == complaint.get_absolute_url()
    planned(complaint, supervisor)  # still major: nothing new
    assert Notification.objects.filter(recipient=vice_president).count() == 1


def test_raising_a_complaint_to_major_at_the_plan_tells_the_vice_president(
    dispatcher, supervisor, vice_president
):
    complaint = open_one(dispatcher)
    assert not Notification.objects.exists()
    services.record_plan(
        complaint_id=complaint.pk,
        user=supervisor,
        expected_version=None,
        plan="由副总经理牵头处理",
        severity=Severity.MAJOR,
        service_at_fault=False,
    )
    assert Notification.objects.filter(recipient=vice_president, kind="complaint_major").count() == 1


def test_the_full_flow_closes(dispatcher, supervisor):
    complaint = open_one(dispatcher)
    planned(complaint, supervisor)
    visit(complaint, supervisor)
    answer(complaint, dispatcher)
    closed = services.close_complaint(complaint_id=complaint.pk, user=supervisor, expected_version=None)
    assert closed.state == ComplaintState.CLOSED and closed.closed_by == supervisor
    assert closed.service_at_fault is True


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ((), "尚未提出处理方案"),
        (("plan",), "尚未记录服务主任走访"),
        (("plan", "answer"), "尚未记录服务主任走访"),
        (("plan", "visit"), "尚未答复客户"),
    ],
)
def test_closing_is_refused_until_plan_visit_and_answer(dispatcher, supervisor, steps, message):
    complaint = open_one(dispatcher)
    for step in steps:
        {"plan": planned, "visit": visit, "answer": lambda c, _s: answer(c, dispatcher)}[step](
            complaint, supervisor
        )
    with pytest.raises(UserError, match=message):
        services.close_complaint(complaint_id=complaint.pk, user=supervisor, expected_version=None)
    assert Complaint.objects.get(pk=complaint.pk).state != ComplaintState.CLOSED


def test_the_answer_comes_after_the_plan(dispatcher):
    complaint = open_one(dispatcher)
    with pytest.raises(UserError, match="请先提出处理方案"):
        answer(complaint, dispatcher)


def test_the_visit_is_checked(dispatcher, supervisor, persona, branch_b):
    complaint = planned(open_one(dispatcher), supervisor)
    with pytest.raises(UserError, match="走访时间不能晚于现在"):
        visit(complaint, supervisor, visited_at=timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(UserError, match="本网点的走访人"):
        visit(complaint, supervisor, visited_by=persona(Role.SUPERVISOR, branch_b, "hz_sup"))
    # A delegate of the branch may go (§7-二十八: 亲自或专门派员).
    delegate = persona(Role.TECHNICIAN, username="delegate")
    assert visit(complaint, supervisor, visited_by=delegate).visited_by == delegate


def test_roles(dispatcher, technician, supervisor):
    complaint = open_one(dispatcher)
    with pytest.raises(PermissionDenied):
        open_one(technician)
    with pytest.raises(PermissionDenied):
        planned(complaint, dispatcher)
    with pytest.raises(PermissionDenied):
        services.close_complaint(complaint_id=complaint.pk, user=dispatcher, expected_version=None)


def test_a_stale_page_is_refused(dispatcher, supervisor):
    complaint = open_one(dispatcher)
    planned(complaint, supervisor)
    with pytest.raises(UserError, match="已被他人更新"):
        services.record_plan(
            complaint_id=complaint.pk,
            user=supervisor,
            expected_version=complaint.version,
            plan="另一个方案",
            severity="general",
            service_at_fault=False,
        )


class TestScreens:
    def test_new_from_a_ticket_is_prefilled_and_shows_the_deadline(self, client, supervisor, dispatcher):
        ticket = accepted_ticket(supervisor)
        client.force_login(dispatcher)
        url = reverse("surveys:complaint_new") + f"?ticket={ticket.pk}&source=survey"
        assert ticket.number in client.get(url).content.decode()
        response = client.post(
            url, {"ticket": ticket.pk, "source": "survey", "severity": "general", "description": "评价不满意"}
        )
        complaint = Complaint.objects.get()
        assert response.url == complaint.get_absolute_url()
        assert (complaint.ticket, complaint.contact_name, complaint.source) == (
            ticket,
            ticket.customer.name,
            "survey",
        )
        page = client.get(response.url).content.decode()
        assert "剩 2 天 23 小时" in page or "剩 3 天" in page

    def test_a_missing_description_is_named(self, client, dispatcher):
        client.force_login(dispatcher)
        response = client.post(
            reverse("surveys:complaint_new"),
            {"source": "call", "severity": "general", "contact_name": "张伟"},
        )
        assert response.status_code == 200 and not Complaint.objects.exists()
        assert "该字段是必填项" in response.content.decode()

    def test_closing_on_the_page_without_the_visit_says_why(self, client, dispatcher, supervisor):
        complaint = planned(open_one(dispatcher), supervisor)
        client.force_login(supervisor)
        response = client.post(reverse("surveys:complaint_step", args=[complaint.pk, "close"]), follow=True)
        assert "尚未记录服务主任走访(制度第二十八条),不能关闭投诉。" in response.content.decode()

    def test_the_steps_through_the_pages(self, client, dispatcher, supervisor):
        complaint = open_one(dispatcher)
        client.force_login(supervisor)

        def step(name, data):
            return client.post(reverse("surveys:complaint_step", args=[complaint.pk, name]), data)

        assert (
            step(
                "plan", {"plan-plan": "复查", "plan-severity": "general", "plan-service_at_fault": "on"}
            ).status_code
            == 302
        )
        visited_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        response = step(
            "visit", {"visit-visited_by": supervisor.pk, "visit-visited_at": visited_at, "visit-notes": ""}
        )
        assert response.status_code == 200 and "该字段是必填项" in response.content.decode()
        assert (
            step(
                "visit",
                {"visit-visited_by": supervisor.pk, "visit-visited_at": visited_at, "visit-notes": "已走访"},
            ).status_code
            == 302
        )
        assert (
            step("answer", {"answer-answer_channel": "written", "answer-answer_text": "书面答复"}).status_code
            == 302
        )
        assert step("close", {}).status_code == 302
        assert Complaint.objects.get().state == ComplaintState.CLOSED

    def test_scope(self, client, dispatcher, persona, branch_b, technician):
        complaint = open_one(dispatcher)
        client.force_login(persona(Role.SUPERVISOR, branch_b, "hz_sup"))
        assert client.get(complaint.get_absolute_url()).status_code == 404
        client.force_login(technician)
        assert client.get(complaint.get_absolute_url()).status_code == 403
        assert client.get(reverse("surveys:complaints")).status_code == 403
        client.force_login(dispatcher)
        assert client.post(reverse("surveys:complaint_step", args=[complaint.pk, "close"])).status_code == 403

    def test_list_filters_and_searches(self, client, dispatcher, supervisor):
        open_one(dispatcher, contact_name="李娜", severity=Severity.MAJOR)
        other = open_one(dispatcher, contact_name="王强")
        client.force_login(supervisor)
        url = reverse("surveys:complaints")
        assert "李娜" in client.get(url, {"severity": "major"}).content.decode()
        assert "李娜" not in client.get(url, {"q": "王强"}).content.decode()
        assert other.number in client.get(url, {"q": "王强"}).content.decode()
        assert "没有符合条件的投诉" in client.get(url, {"state": "closed"}).content.decode()

    def test_list_queries_do_not_grow_with_rows(self, client, supervisor, dispatcher):
        ComplaintFactory.create_batch(2, received_by=dispatcher, ticket=accepted_ticket(supervisor))
        client.force_login(supervisor)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("surveys:complaints"))
        ComplaintFactory.create_batch(8, received_by=dispatcher, ticket=accepted_ticket(supervisor))
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("surveys:complaints"))
        assert len(many) == len(few)
