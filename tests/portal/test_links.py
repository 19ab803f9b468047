"""Texted links into one ticket (issue #17): no code, single use, expiring; the session they start opens
that ticket only. Opening the link (GET) uses nothing: a messenger's link preview must not spend it."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from portal import services
from portal.models import TicketLink
from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_link_signs_in_to_its_ticket_once(client, customer, own_ticket):
    path = services.issue_ticket_link(ticket=own_ticket, purpose="test")
    assert client.get(path).status_code == 200  # a preview
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302 and response.url == f"/p/t/{own_ticket.pk}/"
    assert own_ticket.number in client.get(response.url).content.decode()
    again = client.post(path)
    assert again.status_code == 410 and "用过" in again.content.decode()
    assert client.get(path).status_code == 410


def test_the_link_session_opens_that_ticket_only(client, customer, own_ticket, others_ticket):
    second = TicketFactory(unit=UnitFactory(owner=customer))
    client.post(services.issue_ticket_link(ticket=own_ticket, purpose="test"))
    assert client.get(f"/p/t/{second.pk}/").status_code == 404
    assert client.get(f"/p/t/{others_ticket.pk}/").status_code == 404
    home = client.get("/p/").content.decode()
    assert own_ticket.number in home and second.number not in home


def test_only_the_digest_of_the_token_is_stored(customer, own_ticket):
    path = services.issue_ticket_link(ticket=own_ticket, purpose="test")
    token = path.rstrip("/").rsplit("/", 1)[-1]
    link = TicketLink.objects.get()
    assert token not in link.token_hash and link.token_hash == services.hash_token(token)


def test_a_link_expires_after_a_week(client, customer, own_ticket):
    path = services.issue_ticket_link(ticket=own_ticket, purpose="test")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=services.LINK_DAYS, minutes=1)):
        response = client.post(path)
    assert response.status_code == 410 and "过期" in response.content.decode()


@pytest.mark.parametrize("token", ["x", "A" * 43, "../../admin"])
def test_a_token_nobody_was_given_is_a_404(client, token):
    assert client.get(f"/p/l/{token}/").status_code == 404
    assert client.post(f"/p/l/{token}/").status_code == 404


def test_the_service_refuses_a_second_use(customer, own_ticket):
    path = services.issue_ticket_link(ticket=own_ticket, purpose="test")
    token = path.rstrip("/").rsplit("/", 1)[-1]
    services.redeem_link(token=token)
    with pytest.raises(services.LinkRefused) as refused:
        services.redeem_link(token=token)
    assert refused.value.gone
