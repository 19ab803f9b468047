"""Login throttling (django-axes): repeated wrong passwords lock that user name from that address, also
behind the TLS proxy, for the cool-off time and no longer."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory
from tests.env_example import settings_from

pytestmark = pytest.mark.django_db


def log_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_login_even_with_the_right_one(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    UserFactory(username="wangfang")
    for _attempt in range(4):
        assert log_in(client, "wangfang", "wrong").status_code == 200  # the form again, with its error
    locked = log_in(client, "wangfang", "wrong")
    assert locked.status_code == 429 and "登录已暂时锁定" in locked.content.decode()
    assert log_in(client, "wangfang", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_other_users_are_not_locked_and_a_success_resets_the_count(client):
    UserFactory(username="wangfang")
    UserFactory(username="lihua")
    for _attempt in range(5):
        log_in(client, "wangfang", "wrong")
    assert log_in(client, "lihua", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(4):
        log_in(client, "lihua", "wrong")
    assert log_in(client, "lihua", PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "lihua", "wrong").status_code == 200  # counting starts again


def test_the_api_token_endpoint_is_throttled_too(client):
    UserFactory(username="wangfang")
    url = reverse("api-token")
    for _attempt in range(5):
        client.post(url, {"username": "wangfang", "password": "wrong"})
    response = client.post(url, {"username": "wangfang", "password": PASSWORD})
    assert response.status_code == 429 and "暂时锁定" in response.json()["message"]


PROXY = "10.0.0.2"  # every request arrives from the TLS proxy


def through_the_proxy(client, username: str, password: str, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_the_proxy_a_stranger_cannot_lock_a_user_out_everywhere(client, settings, monkeypatch):
    proxied = settings_from(monkeypatch, BEHIND_TLS_PROXY="1")
    for name in ("AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT", "IPWARE_STRICT"):
        setattr(settings, name, getattr(proxied, name, getattr(settings, name, None)))
    UserFactory(username="wangfang")
    for attempt in range(5):
        # The stranger also makes up addresses of their own: the proxy appends the real one.
        through_the_proxy(client, "wangfang", "wrong", f"192.0.2.{attempt}, 198.51.100.7")
    assert through_the_proxy(client, "wangfang", PASSWORD, "203.0.113.9, 198.51.100.7").status_code == 429
    assert through_the_proxy(client, "wangfang", PASSWORD, "203.0.113.50").status_code == 302


def test_wrong_passwords_during_a_lock_do_not_extend_it(client, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    UserFactory(username="wangfang")
    for _attempt in range(5):
        log_in(client, "wangfang", "wrong")
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=10))
    assert log_in(client, "wangfang", "wrong").status_code == 429  # still locked, and guessing on
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=6))
    assert log_in(client, "wangfang", PASSWORD).status_code == 302  # 16 minutes after the lock
