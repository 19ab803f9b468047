"""CSRF (issue #8): every URL that accepts POST refuses a POST without a CSRF token with 403, for a
logged-in user who may use it — the same POST with a token gets through. URLs and users come from the
access matrix (test_access_matrix.ACCESS), so a new page is covered once it is in the table.

The API: DRF's SessionAuthentication enforces CSRF for a browser session (asserted below like the
pages); a client with a token (`Authorization: Token …`) has no cookie to forge and is exempt by design,
as is the token endpoint itself (no session: it takes a username and password).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, Role
from tests.security.conftest import ROLE_USER
from tests.security.test_access_matrix import ACCESS, OWN, R, _query, _value, expected

pytestmark = pytest.mark.django_db

TOKEN = "a" * 32  # an unmasked CSRF secret: the cookie and the form field carry the same value
CSRF_EXEMPT = {"api-token": "no session: the token endpoint authenticates by username and password"}
# Pages whose POST needs another role than their GET: who posts there.
POSTER = {
    "parts:handover": Role.SUPERVISOR,  # deactivating the technician's account
    "requisition-list": Role.TECHNICIAN,  # the API's requisitions are asked for by the technician
    "receiving-note-list": Role.WAREHOUSE,  # everyone reads the notes; the store's keeper books a delivery
}


def _user_who_may_use(name: str, rule: R) -> str | None:
    if rule.public:
        return None
    return POSTER.get(name) or next(role for role in ROLE_USER if expected(rule, role, OWN) == 200)


def _posts(world, name: str, rule: R):
    """(without token, with token) responses of the same POST by a user who may use the URL."""
    role = _user_who_may_use(name, rule)
    client = Client(enforce_csrf_checks=True)
    if role:
        client.force_login(world.users[ROLE_USER[role]])
    username = ROLE_USER.get(role)
    kwargs = {kwarg: _value(world, OWN, key, username) for kwarg, key in rule.objects.items()}
    url = reverse(name, kwargs=kwargs)
    if rule.query:
        url += "?" + "&".join(f"{key}={value}" for key, value in _query(world, rule).items())
    without = client.post(url, {})
    client.cookies["csrftoken"] = TOKEN
    with_token = client.post(url, {"csrfmiddlewaretoken": TOKEN}, HTTP_X_CSRFTOKEN=TOKEN)
    return without, with_token


@pytest.mark.parametrize("name", sorted(ACCESS.keys() - CSRF_EXEMPT.keys()))
def test_a_post_without_csrf_token_is_refused(world, name):
    without, with_token = _posts(world, name, ACCESS[name])
    assert without.status_code == 403
    if with_token.status_code != 405:  # a URL that accepts POST: the token is all that was missing
        assert with_token.status_code not in (403, 404) and with_token.status_code < 500


def test_the_urls_that_accept_post_are_the_forms_and_actions(world):
    """The parametrized test above is not vacuous: it finds the POST URLs of the app."""
    posts = {name for name, rule in ACCESS.items() if rule.method == "POST"} - CSRF_EXEMPT.keys()
    forms = {"tickets:intake", "surveys:answer", "notifications:preferences", "ticket-list"}
    for name in posts | forms:
        assert _posts(world, name, ACCESS[name])[1].status_code != 405, f"{name} does not accept POST"
    gets = {"tickets:list", "reports:dashboard", "api-parts"}
    for name in gets:
        assert _posts(world, name, ACCESS[name])[1].status_code == 405, f"{name} accepts POST"


def test_a_session_api_post_without_csrf_is_refused_and_a_token_client_is_exempt(world):
    url = reverse("ticket-transition", kwargs={"pk": world.own["ticket_reported"].pk, "name": "dispatch"})
    session = Client(enforce_csrf_checks=True)
    session.force_login(world.users["dispatcher"])
    refused = session.post(url, {}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]

    _token, key = ApiToken.issue(world.users["dispatcher"])
    api_client = Client(enforce_csrf_checks=True)
    answered = api_client.post(url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
    assert answered.status_code == 400  # past authentication and CSRF: the empty body is what is wrong


def test_the_token_endpoint_needs_no_csrf_token(world):
    response = Client(enforce_csrf_checks=True).post(reverse("api-token"), {})
    assert response.status_code == 400
