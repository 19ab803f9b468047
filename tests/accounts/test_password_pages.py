"""Password change on the account page and password reset by e-mail (issue #15), in Chinese."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Xin-mima-2026"


def test_the_user_changes_their_password(client, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("home"), follow=True)
    assert reverse("accounts:password_change") in page.content.decode()  # the name in the header
    form = client.get(reverse("accounts:password_change"))
    assert "修改密码" in form.content.decode()
    wrong = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "旧密码不正确" in wrong.content.decode()
    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "密码已修改" in done.content.decode()
    assert client.get(reverse("tickets:list")).status_code == 200  # this session goes on
    dispatcher.refresh_from_db()
    assert dispatcher.check_password(NEW_PASSWORD)


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, settings):
    settings.SITE_URL = "https://aftersales.example.cn"
    user = UserFactory(username="wangfang", email="wangfang@example.cn")
    login_page = client.get(reverse("login")).content.decode()
    assert reverse("accounts:password_reset") in login_page
    sent = client.post(reverse("accounts:password_reset"), {"email": "WangFang@example.cn"}, follow=True)
    assert "请查收邮件" in sent.content.decode()
    [message] = mail.outbox
    assert message.to == ["wangfang@example.cn"] and "重设" in message.subject and "wangfang" in message.body
    link = re.search(r"https://aftersales\.example\.cn(/account/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "设置新密码" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "密码已重设" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "链接无效或已用过" in client.get(link, follow=True).content.decode()  # used once


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.cn"}, follow=True)
    assert "请查收邮件" in response.content.decode() and mail.outbox == []
