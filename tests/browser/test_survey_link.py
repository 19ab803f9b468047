"""The customer's survey link on a phone: no login, four questions with big buttons, one submission;
the used or expired link is refused with a clear page (DESIGN §1 customer, §8)."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from surveys import services
from surveys.models import Survey
from tests.accounts.factories import UserFactory
from tests.browser.support import assert_no_horizontal_scroll
from tests.browser.test_touch_targets import PHONE, assert_touch_targets_large_enough
from tests.surveys.factories import accepted_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_link(reference_data, branch_a):
    """(survey, path) of a freshly issued link for an accepted ticket of technician 李强."""
    supervisor = UserFactory(username="zhaomin", branch=branch_a, roles=[Role.SUPERVISOR])
    dispatcher = UserFactory(username="wangfang", branch=branch_a, roles=[Role.DISPATCHER])
    technician = UserFactory(
        username="liqiang", last_name="李", first_name="强", branch=branch_a, roles=[Role.TECHNICIAN]
    )
    ticket = accepted_ticket(supervisor, technician=technician)
    url, _phone = services.issue_link(survey_id=ticket.survey.pk, user=dispatcher, send_sms=False)
    return Survey.objects.get(ticket=ticket), urlsplit(url).path


def refused_page(browser, live_server, path):
    """A page outside the error-watching `open_page`: a refusal is an expected 410."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    response = page.goto(path)
    return context, page, response


def test_an_anonymous_customer_answers_on_a_phone_once(open_page, browser, live_server, survey_link):
    survey, path = survey_link
    page = open_page(**PHONE)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("服务满意度调查")
    expect(page.get_by_text("为您服务的技术员:李强。")).to_be_visible()
    assert_touch_targets_large_enough(page)
    assert_no_horizontal_scroll(page)
    for question, level in (
        ("服务态度", "很满意"),
        ("技术水平", "满意"),
        ("到达时间", "一般"),
        ("答应事情的办理", "很满意"),
    ):
        page.locator("fieldset", has_text=question).get_by_text(level, exact=True).tap()
    page.get_by_label("意见或建议").fill("师傅很耐心")
    page.get_by_role("button", name="提交评价").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的评价!")

    survey.refresh_from_db()
    assert survey.answers() == {"attitude": 4, "skill": 3, "punctuality": 2, "promises": 4}
    assert (survey.answered_via, survey.comment) == ("link", "师傅很耐心")

    context, again, response = refused_page(browser, live_server, path)
    assert response.status == 410
    expect(again.get_by_role("heading", level=1)).to_have_text("这份调查已经提交过了,感谢您的评价。")
    expect(again.get_by_role("button", name="提交评价")).to_have_count(0)
    context.close()


def test_an_expired_link_gets_a_clear_page(browser, live_server, survey_link):
    survey, path = survey_link
    Survey.objects.filter(pk=survey.pk).update(token_expires_at=timezone.now() - datetime.timedelta(days=1))
    context, page, response = refused_page(browser, live_server, path)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("这个调查链接已过期。")
    expect(page.get_by_text("请致电我们的服务热线")).to_be_visible()
    context.close()
