"""The customer and unit pages show the service history the reader may open: a technician sees their
own jobs there, as on the ticket list, not a colleague's (issue #15 item 8)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(persona, branch_a):
    technician = persona(Role.TECHNICIAN)
    unit = UnitFactory(owner__branch=branch_a)
    mine = TicketFactory(
        unit=unit, dispatched=True, technician=technician, fault_description="我的任务:不制冷"
    )
    colleagues = TicketFactory(unit=unit, dispatched=True, fault_description="同事的任务:漏水")
    return technician, unit, mine, colleagues


@pytest.mark.parametrize("page", ["customer", "unit"])
def test_a_technician_sees_only_their_own_jobs_on_the_customer_and_unit_pages(client, jobs, page):
    technician, unit, mine, colleagues = jobs
    client.force_login(technician)
    url = unit.owner.get_absolute_url() if page == "customer" else unit.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert mine.number in text
    assert colleagues.number not in text and colleagues.technician.get_full_name() not in text


@pytest.mark.parametrize("page", ["customer", "unit"])
def test_the_office_sees_every_job_of_the_branch(client, jobs, persona, page):
    _technician, unit, mine, colleagues = jobs
    client.force_login(persona(Role.DISPATCHER))
    url = unit.owner.get_absolute_url() if page == "customer" else unit.get_absolute_url()
    text = client.get(url).content.decode()
    assert mine.number in text and colleagues.number in text
