"""The customer's channel on a phone (390×844, issue #17 acceptance): the code sign-in and its lock, a
fault reported with a photo and a window (verdict at once, on the dispatch board), the repair followed
through 派工, 在途 and completion (the voucher downloads) to the survey answered in place, and another
customer's ticket typed into the address bar answered 404."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

import notifications.services
from accounts.models import Role
from notifications.tasks import deliver
from portal.services import MAX_TRIES
from surveys.models import AnsweredVia, Survey
from tests.accounts.factories import UserFactory
from tests.browser.support import assert_no_horizontal_scroll, log_in
from tests.customers.factories import CustomerFactory, UnitFactory
from tests.surveys.factories import RecordingSms
from tests.tickets.factories import ServiceReportFactory
from tickets.models import RepairTicket, State
from tickets.services import apply_transition, depart

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
NUMBER = "13812345678"


@pytest.fixture
def sms(settings, monkeypatch):
    """SMS recorded, and sent at once from the live server's thread (no worker in the test)."""
    settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms"
    RecordingSms.sent.clear()
    monkeypatch.setattr(notifications.services, "queue_deliveries", lambda ids: deliver.run(ids))
    return RecordingSms.sent


@pytest.fixture
def customer(reference_data, branch_a, air_conditioner):
    customer = CustomerFactory(branch=branch_a, name="王芳", phone__number=NUMBER)
    UnitFactory(owner=customer, product_model=air_conditioner, serial_number="KFR35-0001")
    return customer


def last_code(sms) -> str:
    return re.search(r"^(\d{6})$", [text for to, text in sms if to == NUMBER][-1], re.MULTILINE).group(1)


def sign_in(page: Page, sms) -> None:
    page.goto("/p/")
    page.get_by_label("手机号码").fill(NUMBER)
    page.get_by_role("button", name="获取验证码").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("输入验证码")
    page.get_by_label("验证码").fill(last_code(sms))
    page.get_by_role("button", name="登录", exact=True).tap()
    expect(page.get_by_role("heading", name="我的报修")).to_be_visible()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 90, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_wrong_code_five_times_locks_the_number(browser, live_server, sms, customer):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE_390)
    page = context.new_page()
    page.goto("/p/login/")
    page.get_by_label("手机号码").fill(NUMBER)
    page.get_by_role("button", name="获取验证码").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("输入验证码")
    code = last_code(sms)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in range(MAX_TRIES - 1, 0, -1):
        page.get_by_label("验证码").fill(wrong)
        page.get_by_role("button", name="登录", exact=True).tap()
        expect(page.get_by_text(f"验证码不正确,还可以再试 {left} 次。")).to_be_visible()
    page.get_by_label("验证码").fill(wrong)
    with page.expect_response(
        lambda r: r.url.endswith("/p/login/code/") and r.request.method == "POST"
    ) as info:
        page.get_by_role("button", name="登录", exact=True).tap()
    assert info.value.status == 429
    expect(page.get_by_text("该号码已锁定")).to_be_visible()
    page.get_by_label("验证码").fill(code)  # the right code no longer helps
    page.get_by_role("button", name="登录", exact=True).tap()
    expect(page.get_by_text("该号码已锁定")).to_be_visible()
    assert page.goto("/p/").url.endswith("/p/login/?next=%2Fp%2F")
    assert_no_horizontal_scroll(page)
    context.close()


def test_report_follow_and_answer_on_a_phone(open_page, browser, live_server, sms, customer, people):
    dispatcher, technician = people
    page = open_page(**PHONE_390)
    sign_in(page, sms)
    assert_no_horizontal_scroll(page)

    # Report: the unit, the verdict at once, a description, a photo, a window.
    page.get_by_test_id("portal-report-link").tap()
    page.get_by_text("KFR35-0001").tap()
    expect(page.get_by_test_id("portal-verdict")).to_contain_text("免费维修")
    expect(page.get_by_test_id("portal-verdict").locator("li").first).to_be_visible()
    page.get_by_label("故障描述").fill("开机后不制冷,外机不转")
    page.locator("input[name=photos]").set_input_files(
        files=[{"name": "fault.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.locator("input[name=window]").nth(1).check()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="提交报修").tap()
    expect(page.get_by_test_id("portal-ticket")).to_contain_text("开机后不制冷")
    expect(page.get_by_test_id("portal-verdict")).to_be_visible()
    expect(page.get_by_test_id("portal-photos").locator("img")).to_have_count(1)
    ticket = RepairTicket.objects.get(customer=customer)
    assert ticket.channel == "self" and ticket.appointment_start is not None

    # On the dispatch board of the desk.
    desk = open_page()
    log_in(desk, dispatcher.username)
    desk.goto(reverse("tickets:dispatch_board"))
    expect(desk.get_by_text(ticket.number)).to_be_visible()

    # 派工, 在途.
    ticket = apply_transition(
        ticket_id=ticket.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=ticket.version,
        technician=technician,
    )
    page.reload()
    expect(page.locator("[data-step=dispatched]")).to_contain_text("技术员:李强")
    depart(ticket_id=ticket.pk, user=technician, expected_version=None, eta_minutes=30)
    page.reload()
    expect(page.locator("[data-step=on_the_way]")).to_contain_text("预计")

    # Completion: a signed report (the technician's app is tested elsewhere), the voucher downloads.
    RepairTicket.objects.filter(pk=ticket.pk).update(
        arrived_at=timezone.now(), completed_at=timezone.now(), state=State.AWAITING_ACCEPTANCE, visit_count=1
    )
    ServiceReportFactory(ticket=ticket, signed=True)
    page.reload()
    expect(page.locator("[data-step=done]")).to_have_attribute("data-done", "1")
    # Opened from the page with the customer's own session (a PDF opens in the phone's viewer).
    voucher = page.request.get(page.get_by_test_id("portal-voucher").get_attribute("href"))
    assert voucher.status == 200 and voucher.headers["content-type"] == "application/pdf"
    assert voucher.body().startswith(b"%PDF")

    # Accepted by the supervisor: the survey waits on the page, answered in place.
    supervisor = UserFactory(username="zhaomin", branch=dispatcher.branch, roles=[Role.SUPERVISOR])
    ticket.refresh_from_db()
    apply_transition(ticket_id=ticket.pk, user=supervisor, name="accept", expected_version=ticket.version)
    page.reload()
    for question, level in (
        ("服务态度", "很满意"),
        ("技术水平", "满意"),
        ("到达时间", "很满意"),
        ("答应事情的办理", "满意"),
    ):
        page.locator("fieldset", has_text=question).get_by_text(level, exact=True).tap()
    page.get_by_role("button", name="提交评价").tap()
    expect(page.get_by_text("感谢您的评价!")).to_be_visible()
    expect(page.locator("[data-step=survey]")).to_have_attribute("data-done", "1")
    assert Survey.objects.get(ticket=ticket).answered_via == AnsweredVia.CHANNEL


def test_another_customers_ticket_typed_into_the_address_bar_is_a_404(
    browser, live_server, sms, customer, people
):
    dispatcher, _technician = people
    stranger = CustomerFactory(branch=customer.branch, name="李强", phone__number="13987654321")
    others = RepairTicket.objects.create(
        number="SH-OTHER-1",
        branch=customer.branch,
        customer=stranger,
        unit=UnitFactory(owner=stranger),
        reported_by=dispatcher,
        fault_category="appliance",
        fault_description="漏水",
        due_at=timezone.now(),
    )
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE_390)
    page = context.new_page()
    sign_in(page, sms)
    response = page.goto(f"/p/t/{others.pk}/")
    assert response.status == 404
    expect(page.get_by_text("漏水")).to_have_count(0)
    context.close()
