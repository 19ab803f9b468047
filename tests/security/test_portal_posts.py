"""The customer's channel (issue #17) under the rules of every POST: a CSRF token, and one write per
intent (`@idempotent`) unless said here why not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.test_access_matrix import PORTAL
from tests.security.test_idempotency import _guarded

pytestmark = pytest.mark.django_db

NOT_GUARDED = {
    "portal:code": "a sign-in: its answer is the new session, which a replay could not give; a used code is refused",
    "portal:link": "a sign-in by a single-use link: a second use answers 410",
    "portal:sign_out": "ends the session: twice is the same as once, nothing is written",
}
TOKEN = "a" * 64


def _url(name: str) -> str:
    kwargs = {kwarg: ("x" if kwarg == "token" else 1) for kwarg in PORTAL[name].objects}
    return reverse(name, kwargs=kwargs)


def _accepts_post(name: str) -> bool:
    return Client().post(_url(name), {}).status_code != 405


def test_every_portal_url_that_accepts_a_post_is_guarded_or_says_why_not():
    accepts = {name for name in PORTAL if _accepts_post(name)}
    assert {
        "portal:sign_in",
        "portal:code",
        "portal:link",
        "portal:sign_out",
        "portal:report",
        "portal:survey",
        "portal:reschedule",
        "portal:cancel",
        "portal:complaint",
    } <= accepts
    assert {"portal:home", "portal:ticket", "portal:photo", "portal:voucher"}.isdisjoint(accepts)
    assert {name for name in accepts if not _guarded(name)} - NOT_GUARDED.keys() == set()
    assert NOT_GUARDED.keys() <= accepts


@pytest.mark.parametrize("name", sorted(PORTAL))
def test_a_portal_post_without_csrf_token_is_refused(name):
    client = Client(enforce_csrf_checks=True)
    assert client.post(_url(name), {}).status_code == 403
    client.cookies["csrftoken"] = TOKEN
    with_token = client.post(_url(name), {"csrfmiddlewaretoken": TOKEN}, HTTP_X_CSRFTOKEN=TOKEN)
    assert with_token.status_code != 403 and with_token.status_code < 500
