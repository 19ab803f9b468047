"""Chinese by default whatever the browser asks for; English once the user picks it in the header."""

import pytest
from django.urls import reverse

from customers.phones import format_phone


@pytest.mark.django_db
def test_chinese_is_the_default_even_for_an_english_browser(client):
    page = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert "登录售后服务系统" in page.content.decode()
    assert page.headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_the_header_switch_turns_the_ui_english(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("tickets:list")}, follow=True
    )
    page = response.content.decode()
    assert "Repair tickets" in page or "Tickets" in page
    assert "维修工单" not in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "维修工单" in client.get(reverse("tickets:list")).content.decode()


def test_phone_extension_reads_in_the_active_language():
    from django.utils import translation

    with translation.override("en"):
        assert format_phone("02161234567-808") == "021-61234567 ext. 808"
    with translation.override("zh-hans"):
        assert format_phone("02161234567-808") == "021-61234567 转 808"
