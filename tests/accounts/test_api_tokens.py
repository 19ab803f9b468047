"""API tokens (issue #15): they expire, end with a password change or a deactivation, are listed and
revoked by their owner (the account page, `DELETE /api/v1/auth/token`) and by admins; the API is throttled."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken, Role
from parts import handover
from tests.accounts.factories import PASSWORD, UserFactory
from tests.env_example import settings_from

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def log_in(user, client_name: str = "平板 App/2.1") -> str:
    response = APIClient().post(
        TOKEN_URL,
        {"username": user.username, "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT=client_name,
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def api_status(key: str) -> int:
    return APIClient().get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_a_token_expires_after_the_configured_days(dispatcher, settings):
    settings.API_TOKEN_DAYS = 30
    response = APIClient().post(TOKEN_URL, {"username": dispatcher.username, "password": PASSWORD})
    expires = datetime.datetime.fromisoformat(response.json()["expires"])
    assert abs(expires - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(minutes=1)
    key = response.json()["token"]
    assert api_status(key) == 200
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api_status(key) == 403


def test_the_expiry_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("API_TOKEN_DAYS", raising=False)
    assert settings_from(monkeypatch).API_TOKEN_DAYS == 30
    assert settings_from(monkeypatch, API_TOKEN_DAYS="7").API_TOKEN_DAYS == 7


def test_only_the_digest_of_the_key_is_stored(dispatcher):
    key = log_in(dispatcher)
    stored = ApiToken.objects.get(user=dispatcher)
    assert key not in {stored.digest, stored.password_seal} and key.startswith(stored.prefix)


def test_each_device_gets_its_own_token(dispatcher):
    tablet, script = log_in(dispatcher), log_in(dispatcher, "curl/8.5")
    assert tablet != script and api_status(tablet) == api_status(script) == 200


def test_changing_the_password_on_the_account_page_ends_every_token(client, dispatcher):
    keys = [log_in(dispatcher), log_in(dispatcher, "curl/8.5")]
    client.force_login(dispatcher)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Xin-mima-2026", "new_password2": "Xin-mima-2026"},
    )
    assert response.status_code == 302
    assert [api_status(key) for key in keys] == [403, 403]
    assert client.get(reverse("accounts:tokens")).context["tokens"] == []


def test_a_password_set_by_any_other_path_ends_the_tokens_too(dispatcher):
    key = log_in(dispatcher)
    dispatcher.set_password("Xin-mima-2026")  # the admin's form, a reset link, manage.py changepassword
    dispatcher.save()
    assert api_status(key) == 403


def test_deactivating_the_account_deletes_its_tokens(persona, supervisor):
    technician = persona(Role.TECHNICIAN)
    key = log_in(technician)
    handover.deactivate(user=technician, by=supervisor)
    assert not ApiToken.objects.filter(user=technician).exists()
    technician.is_active = True  # reactivated later: the old token stays dead
    technician.save()
    assert api_status(key) == 403


def test_deactivating_in_the_admin_deletes_the_tokens(client, dispatcher):
    log_in(dispatcher)
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_user_change", args=[dispatcher.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in ((name, form[name].value()) for name in form.fields)
        if value is not None and name not in {"password", "is_active", "date_joined", "last_login"}
    }
    joined = timezone.localtime(dispatcher.date_joined)
    data |= {"date_joined_0": f"{joined:%Y-%m-%d}", "date_joined_1": f"{joined:%H:%M:%S}"}
    data["groups"] = [group.pk for group in dispatcher.groups.all()]
    data["user_permissions"] = []
    response = client.post(reverse("admin:accounts_user_change", args=[dispatcher.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not ApiToken.objects.filter(user=dispatcher).exists()


def test_the_owner_lists_and_revokes_a_token(client, dispatcher):
    tablet, script = log_in(dispatcher), log_in(dispatcher, "curl/8.5")
    client.force_login(dispatcher)
    page = client.get(reverse("accounts:tokens"))
    assert [token.client for token in page.context["tokens"]] == ["curl/8.5", "平板 App/2.1"]
    revoked = ApiToken.objects.get(client="curl/8.5")
    response = client.post(reverse("accounts:revoke_token"), {"token": revoked.pk}, follow=True)
    assert "令牌已撤销" in response.content.decode()
    assert api_status(script) == 403 and api_status(tablet) == 200


def test_nobody_revokes_another_users_token(client, dispatcher, supervisor):
    key = log_in(supervisor)
    client.force_login(dispatcher)
    token = ApiToken.objects.get(user=supervisor)
    response = client.post(reverse("accounts:revoke_token"), {"token": token.pk}, follow=True)
    assert "没有找到要撤销的令牌" in response.content.decode()
    assert api_status(key) == 200
    assert client.post(reverse("accounts:revoke_token"), {"token": "x"}).status_code == 302


def test_an_admin_sees_and_revokes_tokens(client, dispatcher):
    key = log_in(dispatcher)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert listing.status_code == 200 and key[:8] in listing.content.decode()
    token = ApiToken.objects.get(user=dispatcher)
    response = client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"})
    assert response.status_code == 302 and api_status(key) == 403


def test_delete_on_the_token_endpoint_revokes_the_callers_token(dispatcher):
    mine, other = log_in(dispatcher), log_in(dispatcher, "curl/8.5")
    api = APIClient()
    assert api.delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {mine}").status_code == 204
    assert api_status(mine) == 403 and api_status(other) == 200
    assert api.delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {mine}").status_code == 401
    assert api.delete(TOKEN_URL).status_code == 401


def test_the_api_is_throttled_per_user_and_for_anonymous_clients(dispatcher, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"})
    key = log_in(dispatcher)  # anonymous request 1
    assert [api_status(key) for _ in range(4)] == [200, 200, 200, 429]
    other = UserFactory(username="lihua", roles=[Role.DISPATCHER], branch=dispatcher.branch)
    assert api_status(log_in(other)) == 200  # anonymous request 2; another user has their own count
    third = APIClient().post(TOKEN_URL, {"username": "lihua", "password": PASSWORD})
    assert third.status_code == 429 and "Retry-After" in third
