"""Every page and download a logged-in user gets (signatures, photos, vouchers, claim attachments,
exports, the API) says `Cache-Control: private, no-store` (issue #15): one middleware, so every GET URL of
the access matrix is asserted, for a user who may open it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from tests.security.conftest import ROLE_USER
from tests.security.test_access_matrix import ACCESS, OWN, clients, expected, request  # noqa: F401

pytestmark = pytest.mark.django_db

GETS = sorted(name for name, rule in ACCESS.items() if rule.method == "GET")


@pytest.mark.parametrize("name", GETS)
def test_what_a_logged_in_user_gets_is_private(world, clients, name):  # noqa: F811
    rule = ACCESS[name]
    role = next(role for role in ROLE_USER if expected(rule, role, OWN) == 200)
    response = request(world, clients, name, rule, role, OWN)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_the_api_answers_a_token_privately(world):
    _token, key = ApiToken.issue(world.users["dispatcher"])
    response = Client().get(reverse("ticket-list"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")
