"""Demo data of this app, called by `manage.py seed_demo`. Must be idempotent.

The accepted demo tickets were accepted a follow-up offset ago (seed_demo), so their first calls are due
today (今日回访 has work); one survey is already answered by the customer's link, and three complaints: one
waiting for its plan (major), one planned and visited, one closed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from surveys import services
from surveys.models import Complaint, FollowUpCall, Outcome, Severity
from surveys.services import ComplaintDetails, SurveyAnswers
from tickets.models import RepairTicket, State

LINK_ANSWERS = SurveyAnswers(attitude=4, skill=3, punctuality=3, promises=4)


def seed(*, branches, users, stdout) -> None:
    """branches: {"HQ"|"SH"|"HZ": Branch}; users: {username: User} (see seed_demo.USERS)."""
    with transaction.atomic():
        _schedule_missing()
        if Complaint.objects.filter(branch__in=[branches["SH"], branches["HZ"]]).exists():
            stdout.write("Demo surveys and complaints already present; none added.")
            return
        due = _first_calls_due_today(users)
        _complaints(branches, users)
    stdout.write(f"Surveys: {due} follow-up calls due today, 3 complaints.")


def _schedule_missing() -> None:
    """Tickets accepted before this app existed get their calls and survey as if accepted then."""
    for ticket in RepairTicket.objects.filter(state__in=[State.ACCEPTED, State.CLOSED], survey__isnull=True):
        services.schedule_follow_ups(ticket=ticket, at=ticket.accepted_at or timezone.now())


def _dispatcher_of(ticket, users):
    return users["hz_dispatcher" if ticket.branch.code == "HZ" else "dispatcher"]


def _first_calls_due_today(users) -> int:
    """The accepted tickets' first calls (due today by their acceptance date); the first ticket's
    survey answered by its link."""
    tickets = list(RepairTicket.objects.filter(state=State.ACCEPTED).select_related("branch").order_by("pk"))
    if tickets:
        url, _phone = services.issue_link(
            survey_id=tickets[0].survey.pk, user=_dispatcher_of(tickets[0], users), send_sms=False
        )
        services.answer_by_link(token=url.rstrip("/").rsplit("/", 1)[-1], answers=LINK_ANSWERS)
    return FollowUpCall.objects.filter(
        ticket__in=tickets, outcome=Outcome.PENDING, due_on__lte=timezone.localdate()
    ).count()


def _complaints(branches, users) -> None:
    dispatcher, supervisor = users["dispatcher"], users["supervisor"]
    closed = list(
        RepairTicket.objects.filter(state=State.CLOSED, branch=branches["SH"]).select_related("customer")[:3]
    )
    ticket_or_none = closed + [None] * (3 - len(closed))
    services.open_complaint(
        user=dispatcher,
        ticket=ticket_or_none[0],
        details=ComplaintDetails(
            source="call",
            severity=Severity.MAJOR,
            description="空调维修后一周内再次不制冷,客户要求退货并投诉服务质量。",
            contact_name="" if ticket_or_none[0] else "张伟",
        ),
    )
    visited = services.open_complaint(
        user=dispatcher,
        ticket=ticket_or_none[1],
        details=ComplaintDetails(
            source="survey",
            description="满意度调查中反映技术员迟到且未提前告知。",
            contact_name="" if ticket_or_none[1] else "李娜",
        ),
    )
    services.record_plan(
        complaint_id=visited.pk,
        user=supervisor,
        expected_version=None,
        plan="约谈技术员,调整派工路线;向客户致歉并赠送一次免费保养。",
        severity=Severity.GENERAL,
        service_at_fault=True,
    )
    services.record_visit(
        complaint_id=visited.pk,
        user=supervisor,
        expected_version=None,
        visited_by=supervisor,
        visited_at=timezone.now(),
        notes="服务主任上门致歉,客户表示理解。",
    )
    done = services.open_complaint(
        user=dispatcher,
        ticket=ticket_or_none[2],
        details=ComplaintDetails(
            source="letter",
            description="来信反映维修收费标准不清楚。",
            contact_name="" if ticket_or_none[2] else "王强",
        ),
    )
    services.record_plan(
        complaint_id=done.pk,
        user=supervisor,
        expected_version=None,
        plan="书面说明收费标准,核对本次费用。",
        severity=Severity.GENERAL,
        service_at_fault=False,
    )
    services.record_visit(
        complaint_id=done.pk,
        user=supervisor,
        expected_version=None,
        visited_by=users["technician"],
        visited_at=timezone.now(),
        notes="派技术员上门说明收费明细。",
    )
    services.record_answer(
        complaint_id=done.pk,
        user=dispatcher,
        expected_version=None,
        channel="written",
        text="已寄送收费标准说明,本次费用无误。",
    )
    services.close_complaint(complaint_id=done.pk, user=supervisor, expected_version=None)
