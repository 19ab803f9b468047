"""A refusal shows the reason in Chinese; a missing page says so; both keep the navigation."""

import pytest
from django.urls import reverse

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_a_refused_page_shows_the_reason(client, persona, settings):
    settings.DEBUG = False
    client.force_login(persona(Role.TECHNICIAN))
    response = client.get(reverse("tickets:dispatch_board"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限" in page and "只有客服/调度和服务主任可以派工。" in page and "navbar" in page


def test_a_missing_page_says_so(client, dispatcher, settings):
    settings.DEBUG = False
    client.force_login(dispatcher)
    response = client.get(reverse("tickets:detail", args=[999999]))
    assert response.status_code == 404 and "不在您的网点范围内" in response.content.decode()
