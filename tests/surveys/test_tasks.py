"""The beat sweeps: the morning call queue and the complaint-plan reminders, each idempotent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from notifications.models import Notification
from surveys import tasks
from surveys.models import ComplaintState, FollowUpCall
from tests.surveys.factories import ComplaintFactory, accepted_ticket

pytestmark = pytest.mark.django_db


def make_due(ticket, day):
    call = FollowUpCall.objects.filter(ticket=ticket).order_by("due_on").first()
    FollowUpCall.objects.filter(pk=call.pk).update(due_on=day)


def test_morning_queue_tells_each_branchs_dispatchers_once_a_day(supervisor, dispatcher, persona, branch_b):
    today = timezone.localdate()
    hz_dispatcher, hz_supervisor = (
        persona(Role.DISPATCHER, branch_b, "hz_d"),
        persona(Role.SUPERVISOR, branch_b, "hz_s"),
    )
    for day in (today, today - datetime.timedelta(days=1)):
        make_due(accepted_ticket(supervisor), day)
    make_due(accepted_ticket(supervisor), today + datetime.timedelta(days=1))  # not yet
    make_due(accepted_ticket(hz_supervisor), today)
    assert tasks.morning_call_queue() == 2
    [sh] = Notification.objects.filter(recipient=dispatcher)
    assert sh.subject == "今日回访:2 个电话待打" and sh.link == "/surveys/calls/"
    [hz] = Notification.objects.filter(recipient=hz_dispatcher)
    assert hz.subject == "今日回访:1 个电话待打"
    assert not Notification.objects.filter(recipient=supervisor).exists()
    assert tasks.morning_call_queue() == 0  # the second run sends nothing
    assert Notification.objects.filter(kind="follow_up_queue").count() == 2


def test_no_calls_due_no_message(dispatcher, supervisor):
    accepted_ticket(supervisor)  # first call in a week
    assert tasks.morning_call_queue() == 0


def test_plan_reminders_once_per_level(dispatcher, supervisor, persona, branch_b):
    now = timezone.now()
    persona(Role.SUPERVISOR, branch_b, "hz_s")
    hours = datetime.timedelta(hours=1)
    soon = ComplaintFactory(received_by=dispatcher, received_at=now - 62 * hours)  # due in 10 h
    late = ComplaintFactory(received_by=dispatcher, received_at=now - 73 * hours)  # 1 h late
    ComplaintFactory(received_by=dispatcher, received_at=now - 10 * hours)  # 62 h to go
    ComplaintFactory(
        received_by=dispatcher,
        received_at=now - 80 * hours,
        state=ComplaintState.PLANNED,
        plan="已处理",
        planned_at=now,
    )
    assert tasks.complaint_plan_reminders() == 2
    subjects = sorted(Notification.objects.filter(recipient=supervisor).values_list("subject", flat=True))
    assert subjects == sorted(
        [
            f"投诉 {late.number} 的处理方案已超过 72 小时期限",
            f"投诉 {soon.number} 的处理方案将在 {timezone.localtime(soon.plan_due_at):%Y-%m-%d %H:%M} 到期",
        ]
    )
    assert tasks.complaint_plan_reminders() == 0
    # Later the one due soon is late too: one more message at the new level.
    ComplaintFactory._meta.model.objects.filter(pk=soon.pk).update(plan_due_at=now - hours)
    assert tasks.complaint_plan_reminders() == 1
    assert Notification.objects.filter(recipient=supervisor).count() == 3
    assert Notification.objects.count() == 3  # nobody in HZ
