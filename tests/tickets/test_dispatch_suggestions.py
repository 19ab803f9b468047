"""The dispatch board's suggestions (issue #18): who it offers for each waiting ticket and why, loaded in a
constant number of queries, and accepted with one click through the same dispatch as the select."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from tests.accounts.factories import TechnicianLeaveFactory, TechnicianProfileFactory, TechnicianSkillFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State, TicketEvent
from tickets.selectors import dispatch_suggestions, past_work

BOARD = reverse("tickets:dispatch_board")


def skilled(persona, username: str, *, zone: str = "city", categories=("appliance",), **profile) -> User:
    user = persona(Role.TECHNICIAN, username=username)
    TechnicianProfileFactory(user=user, home_zone=zone, zones_served=[zone], **profile)
    for category in categories:
        TechnicianSkillFactory(technician=user, category=category)
    return user


def suggestion_forms(page: str, number: str) -> list[dict[str, str]]:
    """What each one-click button under the ticket's card sends, as the browser would: the card's
    suggestion form (the one around its list) with the tapped button's technician."""
    before, after = page.split(f'data-testid="suggestions-{number}"', 1)
    form = before[before.rindex("<form ") :]
    block = after.split("</ol>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields["action"] = html.unescape(re.search(r'action="([^"]+)"', form).group(1))
    return [
        {**fields, "technician": technician}
        for technician in re.findall(r'<button [^>]*name="technician" value="([^"]*)"', block)
    ]


def reasons(page: str, number: str) -> list[str]:
    block = page.split(f'data-testid="suggestions-{number}"', 1)[1].split("</ol>", 1)[0]
    return re.findall(
        r'<strong>([^<]+)</strong> <small class="text-muted" data-testid="reason">([^<]+)</small>', block
    )


@pytest.mark.django_db
def test_the_board_offers_the_skilled_technicians_on_duty_best_first_with_why(
    client, dispatcher, persona, branch_a
):
    near = skilled(persona, "near", zone="city")
    far = skilled(persona, "far", zone="suburb")
    away = skilled(persona, "away", zone="city")
    TechnicianLeaveFactory(technician=away, starts_on=timezone.localdate(), ends_on=timezone.localdate())
    skilled(persona, "bus_only", categories=("body",))
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__service_zone="city",
        unit__owner__distance_km=8,
        due_at=timezone.now() + datetime.timedelta(hours=5, minutes=30),
    )
    TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=near)
    client.force_login(dispatcher)
    page = client.get(BOARD).content.decode()
    offered = reasons(page, ticket.number)
    assert offered == [
        (str(near), "同区域 · 家用电器资质 · 当天 1 单 · 剩 5 小时"),
        (str(far), "区域外 8 公里 · 家用电器资质 · 当天 0 单 · 剩 5 小时"),
    ]
    assert str(away) not in page.split(f'data-testid="suggestions-{ticket.number}"')[1].split("</ol>")[0]


@pytest.mark.django_db
def test_the_technician_who_repaired_the_unit_before_comes_first(client, dispatcher, persona, branch_a):
    first = skilled(persona, "first")
    again = skilled(persona, "again")
    earlier = TicketFactory(unit__owner__branch=branch_a, closed=True, technician=again)
    RepairTicket.objects.filter(pk=earlier.pk).update(
        completed_at=timezone.now() - datetime.timedelta(days=40)
    )
    ticket = TicketFactory(unit=earlier.unit)
    client.force_login(dispatcher)
    offered = reasons(client.get(BOARD).content.decode(), ticket.number)
    assert [name for name, _ in offered] == [str(again), str(first)]
    assert "曾修过此机" in offered[0][1]


@pytest.mark.django_db
def test_past_work_finds_what_the_orm_finds(persona, branch_a):
    """Who repaired these units or served these customers before: the SQL written once (PostgreSQL) gives
    the rows the ORM's query gives, finished jobs only, each (technician, unit, customer) once."""
    one, two, three = (skilled(persona, name) for name in ("one", "two", "three"))
    done = [
        TicketFactory(unit__owner__branch=branch_a, closed=True, technician=technician)
        for technician in (one, two, three, one)
    ]
    again = TicketFactory(unit=done[0].unit, closed=True, technician=one)  # the same triple twice
    open_job = TicketFactory(unit=done[1].unit, dispatched=True, technician=three)  # not finished
    RepairTicket.objects.filter(pk__in=[ticket.pk for ticket in [*done, again]]).update(
        completed_at=timezone.now() - datetime.timedelta(days=3)
    )
    cases = [
        ([one.pk, two.pk, three.pk], {done[0].unit_id, done[1].unit_id}, {done[3].customer_id}),
        ([three.pk], {done[1].unit_id, done[2].unit_id}, set()),
        ([one.pk], set(), {done[0].customer_id}),
        ([two.pk], set(), set()),
    ]
    for technicians, units, customers in cases:
        expected = set(
            RepairTicket.objects.filter(technician_id__in=technicians, completed_at__isnull=False)
            .filter(Q(unit_id__in=units) | Q(customer_id__in=customers))
            .values_list("technician_id", "unit_id", "customer_id")
        )
        found = past_work(technicians, units, customers)
        assert len(found) == len(set(found)) and set(found) == expected
    assert (three.pk, open_job.unit_id, open_job.customer_id) not in past_work(
        [three.pk], {open_job.unit_id}, set()
    )
    assert past_work([one.pk], {done[0].unit_id}, set()) == [(one.pk, done[0].unit_id, done[0].customer_id)]


@pytest.mark.django_db
def test_no_one_skilled_on_duty_says_so_instead_of_offering_anyone(client, dispatcher, persona, branch_a):
    skilled(persona, "bus_only", categories=("body",))
    ticket = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    page = client.get(BOARD).content.decode()
    assert suggestion_forms(page, ticket.number) == []
    assert 'data-testid="no-suggestion"' in page


@pytest.mark.django_db
def test_one_click_dispatches_to_the_suggested_technician_once_even_when_tapped_twice(
    client, dispatcher, persona, branch_a
):
    technician = skilled(persona, "near")
    ticket = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    [form] = suggestion_forms(client.get(BOARD).content.decode(), ticket.number)
    action = form.pop("action")
    first = client.post(action, form, follow=True)
    assert first.redirect_chain[-1][0] == BOARD
    ticket.refresh_from_db()
    assert (ticket.state, ticket.technician) == (State.DISPATCHED, technician)
    second = client.post(action, form)
    assert second.status_code == 302
    assert TicketEvent.objects.filter(ticket=ticket, action="dispatch").count() == 1


@pytest.mark.django_db
def test_a_suggestion_accepted_from_a_stale_board_is_refused(client, dispatcher, persona, branch_a):
    skilled(persona, "near")
    other = skilled(persona, "other", zone="remote")
    ticket = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    [mine, _] = suggestion_forms(client.get(BOARD).content.decode(), ticket.number)
    # Someone else dispatched it meanwhile.
    RepairTicket.objects.filter(pk=ticket.pk).update(
        state=State.DISPATCHED, technician=other, version=ticket.version + 1
    )
    action = mine.pop("action")
    page = client.post(action, mine, follow=True).content.decode()
    assert "已被他人更新" in page
    ticket.refresh_from_db()
    assert ticket.technician == other


@pytest.mark.django_db
def test_the_board_is_not_offered_another_branchs_technicians(
    client, dispatcher, persona, branch_a, branch_b
):
    skilled(persona, "hz_tech")
    hz = persona(Role.TECHNICIAN, branch=branch_b, username="hz_only")
    TechnicianSkillFactory(technician=hz)
    ticket = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    offered = reasons(client.get(BOARD).content.decode(), ticket.number)
    assert str(hz) not in [name for name, _ in offered]


@pytest.mark.django_db
def test_suggestions_for_every_waiting_ticket_take_four_queries(persona, branch_a, django_assert_num_queries):
    team = [skilled(persona, f"t{i}") for i in range(6)]
    for technician in team[:3]:
        TechnicianLeaveFactory(
            technician=technician, starts_on=timezone.localdate() + datetime.timedelta(days=1)
        )
        TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
    TicketFactory.create_batch(12, unit__owner__branch=branch_a)
    waiting = list(RepairTicket.objects.filter(state=State.REPORTED).for_board())
    technicians = list(
        User.objects.filter(groups__name=Role.TECHNICIAN).select_related("technician_profile").order_by("pk")
    )
    with django_assert_num_queries(4):
        suggestions = dispatch_suggestions(waiting, technicians, timezone.now())
    assert set(suggestions) == {ticket.pk for ticket in waiting}
    assert all(len(offered) == 3 for offered in suggestions.values())


@pytest.mark.django_db
def test_the_board_with_suggestions_runs_the_same_queries_for_2_and_for_20_tickets(
    client, dispatcher, persona, branch_a
):
    for i in range(3):
        skilled(persona, f"t{i}")
    client.force_login(dispatcher)
    TicketFactory.create_batch(2, unit__owner__branch=branch_a)
    with CaptureQueriesContext(connection) as few:
        client.get(BOARD)
    TicketFactory.create_batch(18, unit__owner__branch=branch_a)
    with CaptureQueriesContext(connection) as many:
        page = client.get(BOARD).content.decode()
    assert len(few) == len(many)
    assert page.count('data-testid="accept-suggestion"') == 20 * 3


@pytest.mark.django_db
def test_the_board_runs_the_same_queries_for_3_and_for_12_technicians(client, dispatcher, persona, branch_a):
    """The technicians come with only the columns the board reads: a column read but not loaded would cost
    a query per technician."""
    for i in range(3):
        skilled(persona, f"t{i}")
    TicketFactory.create_batch(2, unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    with CaptureQueriesContext(connection) as few:
        client.get(BOARD)
    for i in range(3, 12):
        skilled(persona, f"t{i}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(BOARD).content.decode()
    assert len(few) == len(many)
    assert page.count('data-testid="accept-suggestion"') == 2 * 3  # the best three of twelve a ticket
