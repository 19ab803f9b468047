"""A customer's session is not a staff login and a staff login is not a customer's session (issue #17):
each side's pages treat the other as a stranger, and starting one ends the other in that browser."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/", "/tickets/", "/customers/", "/surveys/complaints/", "/notifications/", "/reports/"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_customer_session_opens_no_staff_page(client, sms, customer, path):
    sign_in(client, sms)
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_customer_session_gets_nothing_from_the_api(client, sms, customer):
    sign_in(client, sms)
    assert client.get("/api/v1/tickets").status_code in (401, 403)


def test_a_staff_login_does_not_open_the_channel(client, persona, customer, own_ticket):
    client.force_login(persona(Role.DISPATCHER))
    for path in ("/p/", f"/p/t/{own_ticket.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/p/login/")


def test_a_customer_sign_in_ends_the_staff_login_in_that_browser(client, sms, persona, customer):
    client.force_login(persona(Role.DISPATCHER))
    assert client.get("/tickets/").status_code == 200
    sign_in(client, sms)
    assert client.get("/tickets/").status_code == 302
    assert client.get("/p/").status_code == 200


def test_a_staff_login_ends_the_customer_session_in_that_browser(client, sms, persona, customer, own_ticket):
    sign_in(client, sms)
    user = persona(Role.DISPATCHER)
    user.set_password("Secret-12345")
    user.save()
    response = client.post("/login/", {"username": user.username, "password": "Secret-12345"})
    assert response.status_code == 302
    assert client.get("/tickets/").status_code == 200
    assert "portal" not in client.session
    assert client.get(f"/p/t/{own_ticket.pk}/").status_code == 302


def test_signing_out_of_the_channel_never_ends_a_staff_login(client, persona):
    client.force_login(persona(Role.DISPATCHER))
    client.post("/p/logout/")
    assert client.get("/tickets/").status_code == 200
