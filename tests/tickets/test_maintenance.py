"""Preventive maintenance from contracts (issue #18 item 9): the plan, the daily task over a year with a
frozen clock, the carry-forward of a missed visit, and the contract page."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from aftersales.errors import UserError
from tests.customers.factories import UnitFactory
from tests.reports.factories import local
from tests.tickets.factories import TicketFactory
from tickets.maintenance import MaintenanceVisit
from tickets.models import RepairTicket, ServiceCategory, State, TicketKind
from tickets.services import revise_fault
from tickets.tasks import generate_maintenance_visits
from warranty.maintenance_plan import add_months, planned_dates
from warranty.models import MaintenanceContract

D = datetime.date


class TestPlan:
    def test_every_three_months_from_the_start_within_the_contract(self):
        assert planned_dates(start=D(2027, 1, 31), end=D(2027, 12, 31), every_months=3) == (
            D(2027, 1, 31),
            D(2027, 4, 30),
            D(2027, 7, 31),
            D(2027, 10, 31),
        )

    def test_listed_dates_join_the_plan_and_those_outside_the_contract_do_not(self):
        days = planned_dates(
            start=D(2027, 1, 1),
            end=D(2027, 6, 30),
            every_months=6,
            dates=[D(2027, 3, 15), D(2027, 1, 1), D(2028, 1, 1)],
        )
        assert days == (D(2027, 1, 1), D(2027, 3, 15))

    @given(st.dates(D(2000, 1, 1), D(2090, 1, 1)), st.integers(1, 24))
    def test_visits_never_leave_the_contract_and_are_spaced_by_the_period(self, start, every):
        end = add_months(start, 36)
        days = planned_dates(start=start, end=end, every_months=every)
        assert days[0] == start and all(start <= day <= end for day in days)
        assert len(days) == 36 // every + 1

    def test_a_plan_needs_valid_dates_and_a_coordinator(self, branch_a):
        unit = UnitFactory(owner__branch=branch_a)
        contract = MaintenanceContract(
            number="MC-1", customer=unit.owner, start_date=D(2027, 1, 1), end_date=D(2027, 12, 31)
        )
        contract.visit_dates = ["2027-13-01"]
        with pytest.raises(ValidationError, match="YYYY-MM-DD"):
            contract.clean()
        contract.visit_dates = ["2027-05-01"]
        with pytest.raises(ValidationError) as error:
            contract.clean()
        assert "coordinator" in error.value.message_dict


@pytest.fixture
def contract(branch_a, dispatcher):
    unit = UnitFactory(owner__branch=branch_a, product_model__category="appliance")
    return MaintenanceContract.objects.create(
        number="MC-2027-001",
        customer=unit.owner,
        unit=unit,
        start_date=D(2027, 1, 1),
        end_date=D(2027, 12, 31),
        visit_every_months=3,
        checklist="清洗滤网\n检查冷媒压力\n",
        coordinator=dispatcher,
    )


def complete(ticket: RepairTicket, at: datetime.datetime) -> None:
    """The visit done (the transitions are the tickets' own tests; here only what the plan reads)."""
    technician = RepairTicket.objects.get(pk=ticket.pk).reported_by  # any user: the row needs one
    RepairTicket.objects.filter(pk=ticket.pk).update(
        state=State.CLOSED, completed_at=at, technician=technician
    )


def contract_page(client, contract) -> str:
    """The page now (the session of a login at the real time has expired at the travelled time)."""
    client.force_login(contract.coordinator)
    return client.get(reverse("history:contract", args=[contract.pk])).content.decode()


def counts(page: str) -> tuple[int, int, int]:
    return tuple(
        int(re.search(rf'data-testid="count-{name}">[^<]* (\d+)<', page)[1])
        for name in ("done", "due", "missed")
    )


@pytest.mark.django_db
def test_a_year_of_visits_with_a_missed_one_carried_forward(client, contract, dispatcher):
    """Quarterly visits in 2027 (1 Jan, 1 Apr, 1 Jul, 1 Oct), each logged 14 days ahead by the daily task
    run twice a day; April's visit is never done, the others are done on their day."""
    client.force_login(dispatcher)
    first_seen: dict[D, D] = {}
    day = D(2026, 12, 1)
    while day <= D(2027, 12, 31):
        with time_machine.travel(local(day.year, day.month, day.day, 6), tick=False):
            generate_maintenance_visits()
            generate_maintenance_visits()  # the beat ran twice (or two workers took it): no second ticket
            for visit in MaintenanceVisit.objects.select_related("ticket"):
                first_seen.setdefault(visit.planned_date, day)
                if visit.planned_date == day and day != D(2027, 4, 1):
                    complete(visit.ticket, local(day.year, day.month, day.day, 15))
            if day == D(2027, 5, 1):
                assert counts(contract_page(client, contract)) == (1, 0, 1)
        day += datetime.timedelta(days=1)

    visits = list(MaintenanceVisit.objects.select_related("ticket").order_by("planned_date"))
    assert [visit.planned_date for visit in visits] == [
        D(2027, 1, 1),
        D(2027, 4, 1),
        D(2027, 7, 1),
        D(2027, 10, 1),
    ]
    assert first_seen == {
        visit.planned_date: visit.planned_date - datetime.timedelta(days=14) for visit in visits
    }
    assert RepairTicket.objects.count() == 4
    for visit in visits:
        ticket = visit.ticket
        assert (ticket.kind, ticket.service_category) == (TicketKind.MAINTENANCE, ServiceCategory.CONTRACT)
        assert ticket.due_at == local(
            visit.planned_date.year, visit.planned_date.month, visit.planned_date.day, 17, 30
        )
        assert visit.checklist == ["清洗滤网", "检查冷媒压力"] and ticket.reported_by == contract.coordinator

    # April's visit was missed: still open, overdue, and carried into the next visits' tickets.
    april, july, october = visits[1], visits[2], visits[3]
    april.ticket.refresh_from_db()
    assert april.ticket.state == State.REPORTED
    assert (
        july.carried_over == ["2027-04-01"] and "2027-04-01 的保养逾期未做" in july.ticket.fault_description
    )
    assert october.carried_over == ["2027-04-01"]
    assert visits[0].carried_over == []

    with time_machine.travel(local(2027, 12, 31, 9), tick=False):
        page = contract_page(client, contract)
        assert april.ticket.is_overdue  # on the dispatcher's lists as overdue until someone goes
    assert counts(page) == (3, 0, 1)
    assert re.search(r'data-status="missed"><td>2027-04-01</td>', page)
    ticket_page = client.get(april.ticket.get_absolute_url()).content.decode()
    assert 'data-testid="maintenance-checklist"' in ticket_page and "检查冷媒压力" in ticket_page


@pytest.mark.django_db
def test_a_visit_logged_ahead_is_due_and_late_work_counts_as_done(client, contract, dispatcher):
    client.force_login(dispatcher)
    with time_machine.travel(local(2026, 12, 20, 6), tick=False):
        assert generate_maintenance_visits() == 1
        assert counts(contract_page(client, contract)) == (0, 1, 0)
    visit = MaintenanceVisit.objects.get()
    with time_machine.travel(local(2027, 1, 5, 9), tick=False):
        assert counts(contract_page(client, contract)) == (0, 0, 1)
        complete(visit.ticket, local(2027, 1, 5, 10))
        assert counts(contract_page(client, contract)) == (1, 0, 0)


@pytest.mark.django_db
def test_a_contract_for_all_the_customers_units_plans_each_of_them(contract):
    second = UnitFactory(owner=contract.customer)
    MaintenanceContract.objects.filter(pk=contract.pk).update(
        unit=None, visit_every_months=None, visit_dates=["2027-03-01"]
    )
    with time_machine.travel(local(2027, 2, 20, 6), tick=False):
        assert generate_maintenance_visits() == 2
    assert {visit.unit_id for visit in MaintenanceVisit.objects.all()} == {contract.unit_id, second.pk}


@pytest.mark.django_db
def test_the_page_is_for_the_contracts_branch(client, contract, persona, branch_b):
    client.force_login(persona(Role.DISPATCHER, branch=branch_b, username="hz-dispatcher"))
    assert client.get(reverse("history:contract", args=[contract.pk])).status_code == 404


@pytest.mark.django_db
def test_a_tickets_page_reads_a_visit_and_its_contract_only_for_a_maintenance_ticket(
    client, contract, dispatcher
):
    """Issue #19: the visit is not joined into every ticket's query; a maintenance ticket's page reads it
    with its contract in one query, and shows them."""
    client.force_login(dispatcher)
    with time_machine.travel(local(2026, 12, 20, 6), tick=False):
        generate_maintenance_visits()
    visit = MaintenanceVisit.objects.get()
    with CaptureQueriesContext(connection) as captured:
        page = client.get(visit.ticket.get_absolute_url()).content.decode()
    assert 'data-testid="maintenance-checklist"' in page and contract.number in page
    reads = [query["sql"] for query in captured if '"tickets_maintenancevisit"' in query["sql"]]
    assert len(reads) == 1 and 'JOIN "warranty_maintenancecontract"' in reads[0]
    repair = TicketFactory(unit=visit.unit)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(repair.get_absolute_url()).content.decode()
    assert 'data-testid="maintenance-checklist"' not in page
    assert not [query for query in captured if '"tickets_maintenancevisit"' in query["sql"]]


@pytest.mark.django_db
def test_a_maintenance_tickets_page_speaks_of_the_visit_not_of_a_fault(client, contract, dispatcher):
    """A walk-through found a planned visit's page saying 无故障(无理由退货) as its cause, asking for a product
    to judge the warranty, and "no deadline rule" under a header counting down to the planned day."""
    client.force_login(dispatcher)
    with time_machine.travel(local(2026, 12, 20, 6), tick=False):
        generate_maintenance_visits()
        ticket = MaintenanceVisit.objects.get().ticket
        page = client.get(ticket.get_absolute_url()).content.decode()
    heading = re.search(r'data-testid="fault-heading">(.*?)</h2>', page).group(1)
    assert "定期保养" in heading and "无理由退货" not in heading
    verdict = page[page.index('data-testid="verdict"') : page.index('data-testid="deadlines"')]
    assert f"按保养合同 {contract.number}" in verdict and "B 合同服务" in verdict
    assert "这里显示保修结论" not in page
    assert "该工单没有适用的时限规则" not in page
    planned = _planned_visit_row(page)
    assert "2027-01-01" in planned and "已超期" not in planned
    with time_machine.travel(local(2027, 1, 2, 9), tick=False):
        client.force_login(dispatcher)  # the session of twelve days ago has expired
        late = client.get(ticket.get_absolute_url()).content.decode()
    assert "已超期" in _planned_visit_row(late)


def _planned_visit_row(page: str) -> str:
    row = page[page.index('data-testid="deadline-planned-visit"') :]
    return row[: row.index("</li>")]


@pytest.mark.django_db
def test_a_planned_visit_offers_no_warranty_revision(client, contract, dispatcher):
    """The revise-cause form opened on 无故障(无理由退货) with 重新判定保修 on a planned visit's page."""
    client.force_login(dispatcher)
    with time_machine.travel(local(2026, 12, 20, 6), tick=False):
        generate_maintenance_visits()
        ticket = MaintenanceVisit.objects.get().ticket
        page = client.get(ticket.get_absolute_url()).content.decode()
    assert "重新判定保修" not in page
    with pytest.raises(UserError, match="定期保养工单不判定保修"):
        revise_fault(
            ticket_id=ticket.pk,
            user=dispatcher,
            expected_version=ticket.version,
            fault_cause="quality",
            conditions=frozenset(),
            note="现场发现压缩机异响",
        )
