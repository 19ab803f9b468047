"""Appointments (预约时间段, issue #18): agreed at intake or later, every change recorded with who asked and
why, the arrival deadline and the dispatch board following the window."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from tests.accounts.factories import TechnicianLeaveFactory, TechnicianProfileFactory, TechnicianSkillFactory
from tests.tickets.factories import TicketFactory
from tests.tickets.test_views import intake_data
from tickets import sla, sla_services
from tickets.models import Milestone, RepairTicket, State, TicketEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 9, 9, 0, tzinfo=SHANGHAI)  # a Wednesday morning
TOMORROW = NOW.date() + datetime.timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def arrival(ticket: RepairTicket):
    return ticket.deadlines.get(milestone=Milestone.ARRIVAL)


def logged_ticket(client, dispatcher, **appointment) -> RepairTicket:
    client.force_login(dispatcher)
    response = client.post(reverse("tickets:intake"), intake_data(**appointment))
    assert response.status_code == 302, response.content.decode()[:2000]
    return RepairTicket.objects.get()


def post_window(client, ticket, **fields):
    data = {
        "version": ticket.version,
        "appointment_date": TOMORROW.isoformat(),
        "appointment_start": "14:00",
        "appointment_end": "16:00",
        "requested_by": "customer",
        "reason": "",
        **fields,
    }
    return client.post(reverse("tickets:appointment", args=[ticket.pk]), data, follow=True)


@pytest.mark.django_db
def test_a_window_agreed_at_intake_is_the_arrival_deadline_and_is_in_the_history(client, dispatcher, frozen):
    ticket = logged_ticket(
        client,
        dispatcher,
        appointment_date=TOMORROW.isoformat(),
        appointment_start="14:00",
        appointment_end="16:00",
    )
    assert ticket.appointment == (at(TOMORROW, 14), at(TOMORROW, 16))
    deadline = arrival(ticket)
    # The policy's 6 working hours would end today; the customer asked for tomorrow afternoon.
    assert (deadline.warn_at, deadline.due_at) == (at(TOMORROW, 14), at(TOMORROW, 16))
    event = ticket.events.get(action="set_appointment")
    assert (event.actor, event.data["requested_by"], event.data["before"]) == (dispatcher, "customer", None)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "2026-12-10 14:00–16:00" in page


@pytest.mark.django_db
def test_intake_without_a_window_keeps_the_policys_arrival(client, dispatcher, frozen):
    ticket = logged_ticket(client, dispatcher)
    assert ticket.appointment is None
    assert arrival(ticket).due_at == at(NOW.date(), 16, 30)  # 6 working hours from 09:00, lunch excluded
    assert not ticket.events.filter(action="set_appointment").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"appointment_start": "16:00", "appointment_end": "14:00"}, "预约结束时间必须晚于开始时间"),
        ({"appointment_end": ""}, "请同时填写预约日期、开始和结束时间"),
        ({"appointment_date": "2026-12-08"}, "预约时间段已经过去"),
        ({"appointment_start": "06:00", "appointment_end": "20:00"}, "预约时间段最长 12 小时"),
        ({"appointment_date": "9999-12-31"}, "必须在 2000-01-01 至 2099-12-31 之间"),
    ],
)
def test_intake_refuses_a_window_it_cannot_keep(client, dispatcher, frozen, fields, message):
    client.force_login(dispatcher)
    window = {
        "appointment_date": TOMORROW.isoformat(),
        "appointment_start": "14:00",
        "appointment_end": "16:00",
    }
    data = intake_data(**(window | fields))
    page = client.post(reverse("tickets:intake"), data).content.decode()
    assert message in page
    assert not RepairTicket.objects.exists()


@pytest.mark.django_db
def test_moving_the_window_records_who_asked_and_why_and_moves_the_arrival_deadline(
    client, dispatcher, frozen
):
    ticket = logged_ticket(
        client,
        dispatcher,
        appointment_date=TOMORROW.isoformat(),
        appointment_start="14:00",
        appointment_end="16:00",
    )
    ticket.refresh_from_db()
    refused = post_window(client, ticket, appointment_start="09:00", appointment_end="11:00")
    assert "修改或取消预约时间,请填写原因" in refused.content.decode()
    page = post_window(
        client,
        ticket,
        appointment_start="09:00",
        appointment_end="11:00",
        requested_by="customer",
        reason="客户下午要上班",
    ).content.decode()
    assert "预约时间已定为 2026-12-10 09:00–11:00" in page
    ticket.refresh_from_db()
    assert ticket.appointment == (at(TOMORROW, 9), at(TOMORROW, 11))
    assert arrival(ticket).due_at == at(TOMORROW, 11)
    change = ticket.events.filter(action="set_appointment").latest("pk")
    assert (change.actor, change.note, change.data["requested_by"]) == (
        dispatcher,
        "客户下午要上班",
        "customer",
    )
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "2026-12-10 14:00–16:00 → <strong>2026-12-10 09:00–11:00</strong> · 客户要求" in page


@pytest.mark.django_db
def test_clearing_the_window_gives_the_arrival_back_to_the_policy(client, dispatcher, frozen):
    ticket = logged_ticket(
        client,
        dispatcher,
        appointment_date=TOMORROW.isoformat(),
        appointment_start="14:00",
        appointment_end="16:00",
    )
    ticket.refresh_from_db()
    post_window(
        client,
        ticket,
        appointment_date="",
        appointment_start="",
        appointment_end="",
        requested_by="service",
        reason="客户改为电话指导",
    )
    ticket.refresh_from_db()
    assert ticket.appointment is None
    assert arrival(ticket).due_at == at(NOW.date(), 16, 30)
    assert ticket.due_at == at(NOW.date(), 16, 30)


@pytest.mark.django_db
def test_a_stale_form_and_a_visit_already_under_way_are_refused(client, dispatcher, branch_a, frozen):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    stale = post_window(client, ticket, version=ticket.version + 5)
    assert "已被他人更新" in stale.content.decode()
    on_site = TicketFactory(unit__owner__branch=branch_a, on_site=True)
    page = post_window(client, on_site).content.decode()
    assert "不能再改预约时间" in page
    assert not TicketEvent.objects.filter(action="set_appointment").exists()


@pytest.mark.django_db
def test_the_assigned_technician_may_move_it_a_warehouse_clerk_may_not(client, persona, branch_a, frozen):
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
    client.force_login(ticket.technician)
    post_window(client, ticket, requested_by="technician")
    ticket.refresh_from_db()
    assert ticket.appointment == (at(TOMORROW, 14), at(TOMORROW, 16))
    client.force_login(persona(Role.WAREHOUSE))
    response = post_window(client, ticket, appointment_start="08:00", appointment_end="09:00", reason="x")
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.appointment == (at(TOMORROW, 14), at(TOMORROW, 16))


@pytest.mark.django_db
def test_another_branchs_ticket_is_not_found(client, persona, branch_b, frozen):
    ticket = TicketFactory(unit__owner__branch=branch_b)
    client.force_login(persona(Role.DISPATCHER))
    assert post_window(client, ticket).status_code == 404


@pytest.mark.django_db
def test_the_board_plans_for_the_appointments_day_and_its_booked_windows(
    client, dispatcher, persona, branch_a, frozen
):
    def technician(username):
        user = persona(Role.TECHNICIAN, username=username)
        TechnicianProfileFactory(user=user)
        TechnicianSkillFactory(technician=user)
        return user

    away_tomorrow, busy_then, free = technician("away"), technician("busy"), technician("free")
    TechnicianLeaveFactory(technician=away_tomorrow, starts_on=TOMORROW, ends_on=TOMORROW)
    TicketFactory(
        unit__owner__branch=branch_a,
        dispatched=True,
        technician=busy_then,
        appointment_start=at(TOMORROW, 15),
        appointment_end=at(TOMORROW, 17),
    )
    waiting = TicketFactory(
        unit__owner__branch=branch_a,
        appointment_start=at(TOMORROW, 14),
        appointment_end=at(TOMORROW, 16),
        due_at=at(TOMORROW, 16),
    )
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:dispatch_board")).content.decode()
    assert "预约 2026-12-10 14:00–16:00" in page
    block = page.split(f'data-testid="suggestions-{waiting.number}"')[1].split("</ol>")[0]
    assert str(away_tomorrow) not in block
    assert block.index(str(free)) < block.index(str(busy_then))
    assert "预约时段冲突" in block.split(str(busy_then))[1]


def test_the_arrival_of_a_window_is_its_end_warned_at_its_start():
    policy = sla.DeadlineTimes(
        NOW, NOW, NOW + datetime.timedelta(hours=6), NOW + datetime.timedelta(hours=8), True
    )
    times = sla.appointment_times(policy, at(TOMORROW, 9), at(TOMORROW, 11), escalation_hours=Decimal("2"))
    assert (times.started_at, times.warn_at, times.due_at, times.escalate_at) == (
        NOW,
        at(TOMORROW, 9),
        at(TOMORROW, 11),
        at(TOMORROW, 13),
    )


@pytest.mark.django_db
def test_resuming_a_paused_clock_keeps_the_agreed_window(client, dispatcher, frozen):
    ticket = logged_ticket(
        client,
        dispatcher,
        appointment_date=TOMORROW.isoformat(),
        appointment_start="14:00",
        appointment_end="16:00",
    )
    sla_services.pause_clock(ticket_id=ticket.pk, user=dispatcher, reason="customer")
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        sla_services.resume_clock(ticket_id=ticket.pk, user=dispatcher)
    assert arrival(ticket).due_at == at(TOMORROW, 16)
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.REPORTED
