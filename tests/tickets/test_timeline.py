"""The timeline board (issue #18 item 5) through the Django client: rows, blocks in their hours, marks for
overloaded and late technicians, the drop's dispatch into a window and its refusals. The drag and the
keyboard themselves: tests/browser/test_timeline.py."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from tests.accounts.factories import TechnicianProfileFactory
from tests.tickets.factories import TicketFactory
from tickets import sla_services
from tickets.models import RepairTicket, State, TicketEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 9, 10, 30, tzinfo=SHANGHAI)
TODAY = NOW.date()
TOMORROW = TODAY + datetime.timedelta(days=1)
TIMELINE = reverse("tickets:timeline")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def drop(client, ticket, technician, day, hour, version=None):
    return client.post(
        reverse("tickets:timeline_drop", args=[ticket.pk]),
        {
            "version": ticket.version if version is None else version,
            "technician": technician.pk,
            "day": day.isoformat(),
            "hour": hour,
        },
        follow=True,
    )


@pytest.mark.django_db
def test_visits_sit_in_their_hours_and_busy_or_late_technicians_are_marked(
    client, dispatcher, technician, persona, branch_a, frozen
):
    TechnicianProfileFactory(user=technician, daily_capacity=1)
    TicketFactory(
        unit__owner__branch=branch_a,
        dispatched=True,
        technician=technician,
        number="SH-A",
        appointment_start=at(TOMORROW, 14),
        appointment_end=at(TOMORROW, 16),
    )
    for number in ("SH-B", "SH-C"):
        TicketFactory(
            unit__owner__branch=branch_a,
            dispatched=True,
            technician=technician,
            number=number,
            appointment_start=at(TODAY, 8),
            appointment_end=at(TODAY, 9),
            due_at=at(TODAY, 9),
        )
    calm = persona(Role.TECHNICIAN, username="calm")
    waiting = TicketFactory(unit__owner__branch=branch_a, number="SH-W")
    client.force_login(dispatcher)
    page = client.get(TIMELINE).content.decode()
    # Tomorrow 14:00 is column 2 + 12 + 6; two hours wide.
    assert 'class="tl-block tl-c20 tl-s2 state-dispatched"' in page
    row = page.split(f'data-testid="row-{technician.username}"')[1].split('data-testid="row-')[0]
    assert 'data-testid="overloaded"' in row and "今日 2/1 单" in row
    assert 'data-testid="late"' in row and "迟到 2 单" in row
    calm_row = page.split('data-testid="row-calm"')[1]
    assert 'data-testid="overloaded"' not in calm_row and 'data-testid="late"' not in calm_row
    assert f'data-testid="waiting-{waiting.number}"' in page
    assert str(calm) in page


@pytest.mark.django_db
def test_the_timeline_runs_the_same_queries_for_few_and_many(client, dispatcher, persona, branch_a, frozen):
    techs = [persona(Role.TECHNICIAN, username=f"t{i}") for i in range(2)]
    client.force_login(dispatcher)
    TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=techs[0])
    with CaptureQueriesContext(connection) as few:
        client.get(TIMELINE)
    techs += [persona(Role.TECHNICIAN, username=f"u{i}") for i in range(4)]
    for tech in techs:
        TicketFactory.create_batch(
            2,
            unit__owner__branch=branch_a,
            dispatched=True,
            technician=tech,
            appointment_start=at(TOMORROW, 9),
            appointment_end=at(TOMORROW, 10),
        )
    TicketFactory.create_batch(8, unit__owner__branch=branch_a)
    with CaptureQueriesContext(connection) as many:
        client.get(TIMELINE)
    assert len(few) == len(many)


@pytest.mark.django_db
def test_a_drop_dispatches_into_that_hour_in_one_step(client, dispatcher, technician, branch_a, frozen):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    sla_services.set_deadlines(ticket, NOW)
    client.force_login(dispatcher)
    page = drop(client, ticket, technician, TOMORROW, 9).content.decode()
    assert "已派工:工单" in page and "2026-12-10 09:00–11:00" in page
    ticket.refresh_from_db()
    assert (ticket.state, ticket.technician, ticket.appointment) == (
        State.DISPATCHED,
        technician,
        (at(TOMORROW, 9), at(TOMORROW, 11)),
    )
    actions = list(ticket.events.values_list("action", flat=True))
    assert actions[-2:] == ["dispatch", "set_appointment"]
    assert ticket.events.get(action="set_appointment").data["requested_by"] == "service"
    assert ticket.deadlines.get(milestone="arrival").due_at == at(TOMORROW, 11)


@pytest.mark.django_db
def test_an_agreed_window_keeps_its_length_when_dropped_elsewhere(
    client, dispatcher, technician, branch_a, frozen
):
    ticket = TicketFactory(
        unit__owner__branch=branch_a, appointment_start=at(TOMORROW, 14), appointment_end=at(TOMORROW, 17)
    )
    client.force_login(dispatcher)
    drop(client, ticket, technician, TOMORROW, 14)
    ticket.refresh_from_db()
    assert ticket.appointment == (at(TOMORROW, 14), at(TOMORROW, 17))
    assert not ticket.events.filter(action="set_appointment").exists()  # dropped in its own window
    other = TicketFactory(
        unit__owner__branch=branch_a, appointment_start=at(TOMORROW, 14), appointment_end=at(TOMORROW, 17)
    )
    drop(client, other, technician, TOMORROW, 8)
    other.refresh_from_db()
    assert other.appointment == (at(TOMORROW, 8), at(TOMORROW, 11))


@pytest.mark.django_db
def test_a_stale_drop_is_refused_and_changes_nothing(
    client, dispatcher, technician, persona, branch_a, frozen
):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    seen = ticket.version
    other = persona(Role.TECHNICIAN, username="other")
    RepairTicket.objects.filter(pk=ticket.pk).update(
        state=State.DISPATCHED, technician=other, version=seen + 1
    )
    page = drop(
        client_logged(client, dispatcher), ticket, technician, TOMORROW, 9, version=seen
    ).content.decode()
    assert "已被他人更新" in page
    ticket.refresh_from_db()
    assert (ticket.technician, ticket.appointment) == (other, None)
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


@pytest.mark.django_db
def test_a_drop_on_a_past_hour_is_refused_whole(client, dispatcher, technician, branch_a, frozen):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    page = drop(client_logged(client, dispatcher), ticket, technician, TODAY, 8).content.decode()
    assert "预约时间段已经过去" in page
    ticket.refresh_from_db()
    assert (ticket.state, ticket.technician) == (State.REPORTED, None)  # the dispatch was rolled back too


@pytest.mark.django_db
def test_a_technician_of_another_branch_cannot_be_dropped_on(
    client, dispatcher, persona, branch_a, branch_b, frozen
):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    stranger = persona(Role.TECHNICIAN, branch=branch_b, username="hz_tech")
    drop(client_logged(client, dispatcher), ticket, stranger, TOMORROW, 9)
    ticket.refresh_from_db()
    assert ticket.state == State.REPORTED


def client_logged(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_branch_without_technicians_still_shows_its_waiting_work(client, dispatcher, branch_a, frozen):
    waiting = TicketFactory(unit__owner__branch=branch_a)
    page = client_logged(client, dispatcher).get(TIMELINE).content.decode()
    assert f'data-testid="waiting-{waiting.number}"' in page
    assert "该网点没有在岗技术员" in page


@pytest.mark.django_db
def test_headquarters_chooses_the_branch_and_sees_only_its_rows(
    client, persona, headquarters, branch_a, branch_b, frozen
):
    supervisor = persona(Role.SUPERVISOR, branch=headquarters, username="hq_supervisor")
    persona(Role.TECHNICIAN, branch=branch_a, username="sh_tech")
    persona(Role.TECHNICIAN, branch=branch_b, username="hz_tech")
    hz_waiting = TicketFactory(unit__owner__branch=branch_b)
    client_logged(client, supervisor)
    page = client.get(TIMELINE, {"branch": branch_b.pk}).content.decode()
    assert 'data-testid="row-hz_tech"' in page and 'data-testid="row-sh_tech"' not in page
    assert f'data-testid="waiting-{hz_waiting.number}"' in page
    page = client.get(TIMELINE, {"branch": branch_a.pk}).content.decode()
    assert 'data-testid="row-sh_tech"' in page and f"waiting-{hz_waiting.number}" not in page
