"""The staff side of the customer's channel (issue #17, item 6): the dispatch queue shows the calls
customers reported themselves first, with a count; the header links to the registration queue and the
label sheet for the roles that may use them."""

from __future__ import annotations

import datetime

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory
from tickets.services import CallDetails, log_self_reported_call

pytestmark = pytest.mark.django_db


def self_reported(customer, description: str = "不制冷"):
    now = timezone.now()
    return log_self_reported_call(
        unit_id=UnitFactory(owner=customer).pk,
        details=CallDetails(fault_category="", fault_description=description),
        visit_window=(now + datetime.timedelta(hours=3), now + datetime.timedelta(hours=6)),
        photos=[],
    )


def cards(page: str) -> list[str]:
    return page.split('<div class="card mb-2">')[1:]


def test_the_board_shows_self_reported_calls_first_with_a_count(client, dispatcher, customer, branch_a):
    now = timezone.now()
    yesterday = TicketFactory(
        unit__owner__branch=branch_a,
        reported_at=now - datetime.timedelta(days=1),
        due_at=now - datetime.timedelta(hours=1),
    )
    pressing = TicketFactory(unit__owner__branch=branch_a, due_at=now + datetime.timedelta(minutes=5))
    first, second = self_reported(customer, "不制冷"), self_reported(customer, "漏水")
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:dispatch_board")).content.decode()
    order = [
        next(t.number for t in (first, second, yesterday, pressing) if t.number in c) for c in cards(page)
    ]
    assert set(order[:2]) == {first.number, second.number} and order[2:] == [
        yesterday.number,
        pressing.number,
    ]
    count = lxml.html.fromstring(page).xpath('//*[@data-testid="self-reported-count"]')[0]
    assert "客户自助报修 2 张" in count.text_content()
    assert page.count('data-testid="self-reported"') == 2


def test_the_board_counts_without_a_query_per_call(client, dispatcher, customer, branch_a):
    client.force_login(dispatcher)
    self_reported(customer)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("tickets:dispatch_board"))
    for _n in range(5):
        self_reported(customer)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
    assert "客户自助报修 6 张" in page
    assert len(few) == len(many)


def test_no_count_when_no_customer_reported(client, dispatcher, branch_a):
    TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:dispatch_board")).content.decode()
    assert 'data-testid="self-reported-count"' not in page


@pytest.mark.parametrize(
    "role, shown", [(Role.DISPATCHER, True), (Role.SUPERVISOR, True), (Role.TECHNICIAN, False)]
)
def test_the_header_links_the_registration_queue_and_labels_for_who_may_use_them(
    client, persona, role, shown
):
    client.force_login(persona(role))
    page = client.get(reverse("tickets:list")).content.decode()
    tree = lxml.html.fromstring(page)
    hrefs = {a.get("href") for a in tree.xpath('//*[@data-testid="nav"]//a')}
    assert (reverse("portal:registrations") in hrefs) is shown
    assert (reverse("portal:labels") in hrefs) is shown
    if shown:
        assert client.get(reverse("portal:registrations")).status_code == 200
        assert client.get(reverse("portal:labels")).status_code == 200
