"""The ticket API: token login, list, create, retrieve, transitions; bad input is 400, never 500."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from tests.accounts.factories import PASSWORD
from tests.api_errors import error_fields, error_message
from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State


@pytest.fixture
def api(dispatcher):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token", {"username": dispatcher.username, "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


@pytest.mark.django_db
def test_token_login_refuses_a_wrong_password(dispatcher):
    response = APIClient().post(
        "/api/v1/auth/token", {"username": dispatcher.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400 and error_fields(response) == {None}


@pytest.mark.django_db
def test_create_then_retrieve_with_history(api, branch_a):
    unit = UnitFactory(owner__branch=branch_a)
    response = api.post(
        "/api/v1/tickets",
        {"unit": unit.pk, "fault_category": "appliance", "fault_description": "不制冷"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "reported" and body["warranty_decision"]["remedy"] == "free_repair"
    detail = api.get(f"/api/v1/tickets/{body['id']}").json()
    assert [event["action"] for event in detail["events"]] == ["log_call"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"fault_category": "appliance", "fault_description": "x"}, "unit"),
        ({"unit": 999999, "fault_category": "appliance", "fault_description": "x"}, "unit"),
        ({"unit": "abc", "fault_category": "appliance", "fault_description": "x"}, "unit"),
        ({"unit": "UNIT", "fault_category": "spaceship", "fault_description": "x"}, "fault_category"),
        ({"unit": "UNIT", "fault_category": "appliance"}, "fault_description"),
        (
            {
                "unit": "UNIT",
                "fault_category": "appliance",
                "fault_description": "x",
                "conditions": ["bogus"],
            },
            "conditions",
        ),
        (
            {"unit": "UNIT", "fault_category": "appliance", "fault_description": "x", "conditions": "gift"},
            "conditions",
        ),
    ],
)
def test_create_with_bad_input_answers_400_with_the_field(api, branch_a, payload, field):
    unit = UnitFactory(owner__branch=branch_a)
    payload = {key: (unit.pk if value == "UNIT" else value) for key, value in payload.items()}
    response = api.post("/api/v1/tickets", payload, format="json")
    assert response.status_code == 400 and field in error_fields(response)
    assert not RepairTicket.objects.exists()


@pytest.mark.django_db
def test_list_filters_and_paginates(api, branch_a):
    TicketFactory.create_batch(3, unit__owner__branch=branch_a)
    TicketFactory.create_batch(2, unit__owner__branch=branch_a, closed=True)
    body = api.get("/api/v1/tickets", {"state": "closed"}).json()
    assert len(body["results"]) == 2 and {row["state"] for row in body["results"]} == {"closed"}
    assert api.get("/api/v1/tickets", {"state": "nonsense"}).status_code == 400


@pytest.mark.django_db
def test_transitions_with_the_ui_rules(api, branch_a, technician):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    url = f"/api/v1/tickets/{ticket.pk}/transitions"
    missing = api.post(f"{url}/dispatch", {}, format="json")
    assert missing.status_code == 400 and "technician" in error_fields(missing)
    done = api.post(
        f"{url}/dispatch", {"technician": technician.pk, "version": ticket.version}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"] == State.DISPATCHED
    stale = api.post(f"{url}/cancel", {"note": "重复", "version": ticket.version}, format="json")
    assert stale.status_code == 409 and "已被他人更新" in stale.json()["message"]
    not_mine = api.post(f"{url}/check_in", {}, format="json")
    assert not_mine.status_code == 403
    assert api.post(f"{url}/explode", {}, format="json").status_code == 404
    wrong_state = api.post(f"{url}/accept", {}, format="json")
    assert wrong_state.status_code == 409


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_another_host(client, dispatcher):
    client.force_login(dispatcher)
    schema = client.get("/api/schema")
    assert schema.status_code == 200 and b"/api/v1/warranty/check" in schema.content
    docs = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    assert all(asset.startswith("/") for asset in assets), assets


@pytest.mark.django_db
def test_another_branchs_unit_answers_like_a_unit_that_does_not_exist(api, branch_b):
    """Issue #15 item 8: the id of another branch's unit reveals nothing."""
    elsewhere = UnitFactory(owner__branch=branch_b)
    payload = {"fault_category": "appliance", "fault_description": "不制冷"}
    theirs = api.post("/api/v1/tickets", {**payload, "unit": elsewhere.pk}, format="json")
    missing = api.post("/api/v1/tickets", {**payload, "unit": 987654321}, format="json")
    assert theirs.status_code == missing.status_code == 400
    assert error_message(theirs, "unit") == error_message(missing, "unit").replace(
        "987654321", str(elsewhere.pk)
    )
    assert not RepairTicket.objects.exists()


@pytest.mark.django_db
def test_dispatching_to_another_branchs_user_does_not_reveal_their_name(api, branch_a, branch_b, persona):
    """Issue #15 item 8: a user id of another branch answers like an id that does not exist."""
    ticket = TicketFactory(unit__owner__branch=branch_a)
    stranger = persona(Role.TECHNICIAN, branch=branch_b)
    stranger.first_name, stranger.last_name = "秘", "密"
    stranger.save()
    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/transitions/dispatch",
        {"technician": stranger.pk, "version": ticket.version},
        format="json",
    )
    assert response.status_code == 400
    assert "technician" in error_fields(response)
    assert "密" not in response.content.decode() and stranger.username not in response.content.decode()
