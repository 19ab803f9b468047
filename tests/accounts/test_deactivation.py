"""Deactivation ends access (issue #21): the user's open sessions end at their next request and their
API tokens stop working, whichever way the account was deactivated; logging in anew after a
reactivation works, the old sessions stay ended."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from parts.handover import deactivate
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> tuple[Client, APIClient]:
    """A browser that logged in with the password form, and a program holding an API token."""
    browser = Client()
    assert (
        browser.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    )
    _token, key = ApiToken.issue(user, client="扫码枪")
    program = APIClient()
    program.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert browser.get(reverse("tickets:list")).status_code == 200
    assert program.get(reverse("ticket-list")).status_code == 200
    return browser, program


def assert_access_ended(browser: Client, program: APIClient) -> None:
    response = browser.get(reverse("tickets:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert program.get(reverse("ticket-list")).status_code == 403


def deactivate_in_the_admin(client, user) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"groups": [g.pk for g in user.groups.all()], "branch": user.branch_id, "is_active": ""})
    data["date_joined_0"], data["date_joined_1"] = user.date_joined.strftime("%Y-%m-%d"), "00:00:00"
    data["last_login_0"] = data["last_login_1"] = ""
    for name in ("date_joined", "last_login", "user_permissions", "sessions_ended_at", "source"):
        data.pop(name, None)
    assert client.post(url, data).status_code == 302


def test_deactivating_in_the_admin_ends_sessions_and_tokens(client):
    user = UserFactory(username="zhouqi", roles=[Role.DISPATCHER])
    browser, program = signed_in(user)
    deactivate_in_the_admin(client, user)
    user.refresh_from_db()
    assert not user.is_active and user.sessions_ended_at is not None
    assert_access_ended(browser, program)


def test_deactivating_after_a_handover_ends_sessions_and_tokens(supervisor):
    technician = UserFactory(username="wujiu", roles=[Role.TECHNICIAN], branch=supervisor.branch)
    browser, program = signed_in(technician)
    deactivate(user=technician, by=supervisor)
    assert_access_ended(browser, program)


def test_after_reactivation_a_new_login_works_and_the_old_session_stays_ended(client):
    user = UserFactory(username="zhengshi", roles=[Role.DISPATCHER])
    old_browser, _program = signed_in(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.end_access()
    user.is_active = True
    user.save(update_fields=["is_active"])
    new_browser, _new_program = signed_in(user)
    assert new_browser.get(reverse("tickets:list")).status_code == 200
    response = old_browser.get(reverse("tickets:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_password_change_keeps_the_session_it_was_made_in_after_access_was_ended_once():
    """The sealed session hash is still Django's: changing the password keeps the changer signed in."""
    user = UserFactory(username="fengyi", roles=[Role.DISPATCHER])
    user.end_access()
    browser, _program = signed_in(user)
    response = browser.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pw-for-tests-2",
            "new_password2": "a-new-pw-for-tests-2",
        },
    )
    assert response.status_code == 302
    assert browser.get(reverse("tickets:list")).status_code == 200
