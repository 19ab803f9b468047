"""Login throttling (django-axes): repeated wrong passwords lock that user name from that address."""

import pytest
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory

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
    assert response.status_code == 429 and "暂时锁定" in response.json()["detail"]
