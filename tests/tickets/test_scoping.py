"""Branch scoping: outsiders get 404, read-only insiders get 403, in the UI and the API alike."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from tests.tickets.factories import TicketFactory
from tickets.models import State


@pytest.fixture
def ticket(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, dispatched=True)


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
class TestOutsiders:
    @pytest.fixture
    def outsider(self, persona, branch_b):
        return persona(Role.DISPATCHER, branch=branch_b)

    def test_cannot_read_the_ticket_page(self, client, outsider, ticket):
        client.force_login(outsider)
        assert client.get(ticket.get_absolute_url()).status_code == 404

    def test_cannot_act_on_it(self, client, outsider, ticket):
        client.force_login(outsider)
        url = reverse("tickets:transition", args=[ticket.pk, "cancel"])
        assert client.post(url, {"version": ticket.version, "note": "x"}).status_code == 404
        ticket.refresh_from_db()
        assert ticket.state == State.DISPATCHED

    def test_do_not_see_it_in_lists_or_the_board(self, client, outsider, ticket):
        client.force_login(outsider)
        assert ticket.number not in client.get(reverse("tickets:list")).content.decode()
        assert ticket.number not in client.get(reverse("tickets:dispatch_board")).content.decode()

    def test_cannot_see_the_customer_or_unit(self, client, outsider, ticket):
        client.force_login(outsider)
        assert client.get(ticket.customer.get_absolute_url()).status_code == 404
        assert client.get(ticket.unit.get_absolute_url()).status_code == 404

    def test_api_hides_it(self, api, outsider, ticket):
        api.force_authenticate(outsider)
        assert api.get(f"/api/v1/tickets/{ticket.pk}").status_code == 404
        assert (
            api.post(
                f"/api/v1/tickets/{ticket.pk}/transitions/cancel", {"note": "x"}, format="json"
            ).status_code
            == 404
        )
        assert api.get("/api/v1/tickets").json()["results"] == []
        assert api.get(f"/api/v1/units/{ticket.unit.serial_number}/warranty").status_code == 404

    def test_another_technician_cannot_see_the_job(self, client, persona, ticket):
        client.force_login(persona(Role.TECHNICIAN, username="someone_else"))
        assert client.get(ticket.get_absolute_url()).status_code == 404


@pytest.mark.django_db
class TestReadOnlyInsiders:
    @pytest.mark.parametrize("role", [Role.FINANCE, Role.WAREHOUSE, Role.MANAGER, Role.GENERAL_MANAGER])
    def test_see_the_ticket_but_get_403_on_actions(self, client, api, persona, ticket, role):
        user = persona(role)
        client.force_login(user)
        page = client.get(ticket.get_absolute_url())
        assert page.status_code == 200 and 'data-testid="nothing-waiting"' in page.content.decode()
        url = reverse("tickets:transition", args=[ticket.pk, "cancel"])
        assert client.post(url, {"version": ticket.version, "note": "x"}).status_code == 403
        api.force_authenticate(user)
        response = api.post(f"/api/v1/tickets/{ticket.pk}/transitions/cancel", {"note": "x"}, format="json")
        assert response.status_code == 403
        ticket.refresh_from_db()
        assert ticket.state == State.DISPATCHED


@pytest.mark.django_db
def test_headquarters_sees_every_branch(client, persona, headquarters, branch_a, branch_b):
    in_a = TicketFactory(unit__owner__branch=branch_a)
    in_b = TicketFactory(unit__owner__branch=branch_b)
    client.force_login(persona(Role.SUPERVISOR, branch=headquarters))
    page = client.get(reverse("tickets:list")).content.decode()
    assert in_a.number in page and in_b.number in page


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, ticket):
    response = client.get(ticket.get_absolute_url())
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert APIClient().get("/api/v1/tickets").status_code in (401, 403)
