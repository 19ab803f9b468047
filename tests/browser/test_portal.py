"""The customer's channel on a phone (390×844, issue #17 acceptance): the code sign-in and its lock, a
fault reported with a photo and a window (verdict at once, on the dispatch board), the repair followed
through 派工, 在途 and completion (the voucher downloads) to the survey answered in place, and another
customer's ticket typed into the address bar answered 404."""

from __future__ import annotations

import datetime
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
from portal.labels import unit_url
from portal.models import ProductRegistration
from portal.services import MAX_TRIES
from surveys.models import AnsweredVia, Complaint, Survey
from tests.accounts.factories import UserFactory
from tests.browser.support import assert_no_horizontal_scroll, log_in
from tests.browser.test_scanner import qr_photo
from tests.customers.factories import CustomerFactory, UnitFactory
from tests.surveys.factories import RecordingSms
from tests.tickets.factories import ServiceReportFactory
from tickets.models import RepairTicket, State, TicketEvent
from tickets.services import CallDetails, apply_transition, depart, log_self_reported_call

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
    expect(desk.get_by_test_id("self-reported-count")).to_contain_text("客户自助报修 1 张")
    expect(desk.get_by_test_id("self-reported")).to_have_count(1)

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


def test_a_unit_registered_without_scanning_with_an_invoice_photo_is_confirmed_by_staff(
    open_page, live_server, sms, customer, people
):
    dispatcher, _technician = people
    page = open_page(**PHONE_390)
    sign_in(page, sms)

    # No QR label at hand: the serial typed from the nameplate, the invoice photographed.
    page.get_by_test_id("portal-register-link").tap()
    page.get_by_label("序列号").fill("KFR35-0001")
    page.get_by_label("购买日期").fill("2026-03-01")
    page.get_by_label("购买地点").fill("苏宁易购南京东路店")
    page.get_by_label("发票照片").set_input_files(
        files=[{"name": "invoice.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="提交登记").dblclick()  # a double tap: one registration
    expect(page.get_by_test_id("portal-units")).to_contain_text("KFR35-0001")
    page.goto("/p/register/")
    expect(page.get_by_test_id("portal-registrations")).to_contain_text("待确认")
    assert ProductRegistration.objects.filter(serial_number="KFR35-0001").count() == 1
    registration = ProductRegistration.objects.get()

    # The desk: the queue from the header's menu, the invoice photo beside it, confirmed with the date
    # read on the invoice.
    desk = open_page()
    log_in(desk, dispatcher.username)
    desk.get_by_test_id("nav-service").click()
    desk.get_by_role("link", name="产品登记审核").click()
    card = desk.get_by_test_id(f"registration-{registration.pk}")
    expect(card).to_contain_text("苏宁易购南京东路店")
    desk.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=registration-queue] img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    card.get_by_label("发票上的购买日期").fill("2026-02-28")
    card.get_by_role("button", name="确认", exact=True).click()
    expect(desk.get_by_text("已确认 KFR35-0001 的登记")).to_be_visible()

    # The customer's unit page: the confirmed date, from which the warranty counts.
    page.goto("/p/u/KFR35-0001/")
    expect(page.get_by_test_id("portal-unit-purchase-date")).to_have_text("2026-02-28")
    expect(page.get_by_text("已确认")).to_be_visible()
    assert str(customer.units.get().purchase_date) == "2026-02-28"


def test_the_units_qr_label_scanned_in_the_channel_fills_the_serial_and_picks_the_unit(
    open_page, live_server, sms, customer
):
    """The label's QR (a link to the unit's page, portal.labels) read from a photo, as with a phone whose
    camera is refused: the registration's serial field gets the serial, not the link; in 报修 the scan
    opens the customer's own unit, and a unit not theirs is said so."""
    page = open_page(**PHONE_390)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, sms)
    page.get_by_test_id("portal-register-link").tap()
    page.get_by_test_id("scan-serial_number").tap()
    expect(page.locator("dialog#scanner")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_test_id("scan-photo").set_input_files(qr_photo(unit_url(live_server.url, "KFR35-0009")))
    expect(page.get_by_label("序列号")).to_have_value("KFR35-0009", timeout=20_000)
    expect(page.locator("dialog#scanner")).to_be_hidden()

    page.goto("/p/report/")
    page.get_by_test_id("scan-serial").tap()
    page.get_by_test_id("scan-photo").set_input_files(qr_photo(unit_url(live_server.url, "KFR99-7777")))
    expect(page.get_by_test_id("portal-unit-not-found")).to_contain_text("没有序列号为 KFR99-7777 的产品")
    assert_no_horizontal_scroll(page)
    # The answer is a new page: its scanner script runs by the load event (a tap before it does nothing).
    page.wait_for_load_state("load")
    page.get_by_test_id("scan-serial").tap()
    expect(page.locator("dialog#scanner")).to_be_visible()
    page.get_by_test_id("scan-photo").set_input_files(qr_photo(unit_url(live_server.url, "KFR35-0001")))
    expect(page.get_by_test_id("portal-verdict")).to_be_visible(timeout=20_000)
    assert page.url.endswith(f"/p/report/?unit={customer.units.get().pk}")
    assert violations == []


def self_reported_ticket(customer) -> RepairTicket:
    now = timezone.now()
    return log_self_reported_call(
        unit_id=customer.units.get().pk,
        details=CallDetails(fault_category="", fault_description="开机后不制冷"),
        visit_window=(now + datetime.timedelta(hours=3), now + datetime.timedelta(hours=6)),
        photos=[],
    )


def test_the_customer_moves_the_visit_then_cancels_it_on_a_phone(open_page, sms, customer, people):
    ticket = self_reported_ticket(customer)
    page = open_page(**PHONE_390)
    sign_in(page, sms)
    page.goto(f"/p/t/{ticket.pk}/")

    page.get_by_role("link", name="改约时间").tap()
    choice = page.locator("input[name=window]").nth(2)
    choice.check()
    label = page.locator(f"label[for={choice.get_attribute('id')}]").inner_text()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="确认改约").dblclick()  # a double tap: one change
    expect(page.get_by_text("上门时间已改为")).to_be_visible()
    expect(page.get_by_test_id("portal-window")).to_be_visible()
    moves = TicketEvent.objects.filter(ticket=ticket, action="set_appointment", data__by="customer")
    assert moves.count() == 2  # the report's window and the one move
    assert label.split()[0] in page.get_by_test_id("portal-window").inner_text()

    # Cancel is one-way: the page asks again, with a reason.
    page.get_by_role("link", name="取消报修").tap()
    expect(page.get_by_test_id("portal-cancel-warning")).to_be_visible()
    page.get_by_text("故障已自行排除").tap()
    page.get_by_role("button", name="确认取消报修").tap()
    expect(page.get_by_text("报修已取消")).to_be_visible()
    expect(page.locator("[data-step=cancelled]")).to_be_visible()
    expect(page.get_by_role("link", name="改约时间")).to_have_count(0)
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.CANCELLED


def test_a_visit_dispatched_while_the_page_was_open_is_not_moved(open_page, sms, customer, people):
    dispatcher, technician = people
    ticket = self_reported_ticket(customer)
    page = open_page(**PHONE_390)
    sign_in(page, sms)
    page.goto(f"/p/t/{ticket.pk}/reschedule/")
    page.locator("input[name=window]").nth(1).check()
    apply_transition(
        ticket_id=ticket.pk, user=dispatcher, name="dispatch", expected_version=None, technician=technician
    )
    page.get_by_role("button", name="确认改约").tap()
    expect(page.get_by_text("技术员已派出,不能再在网上改约或取消。如需更改,请致电服务中心。")).to_be_visible()
    expect(page.get_by_test_id("portal-visit-locked")).to_be_visible()
    # Only the report's own window (no earlier one) is the customer's: nothing was moved.
    assert (
        not TicketEvent.objects.filter(ticket=ticket, action="set_appointment", data__by="customer")
        .exclude(data__before=None)
        .exists()
    )


def test_a_complaint_from_the_phone_reaches_the_complaints_list(open_page, sms, customer, people):
    ticket = self_reported_ticket(customer)
    page = open_page(**PHONE_390)
    sign_in(page, sms)
    page.goto(f"/p/t/{ticket.pk}/")
    page.get_by_test_id("portal-complaint-link").tap()
    page.get_by_label("您遇到的问题").fill("约好的时间没人上门,电话也打不通")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="提交投诉").dblclick()
    expect(page.get_by_text("投诉已受理")).to_be_visible()
    complaint = Complaint.objects.get()
    expect(page.get_by_test_id("portal-complaints")).to_contain_text(complaint.number)

    supervisor = UserFactory(username="zhaomin", branch=customer.branch, roles=[Role.SUPERVISOR])
    desk = open_page()
    log_in(desk, supervisor.username)
    desk.goto("/surveys/complaints/?state=open")
    expect(desk.get_by_text(complaint.number)).to_be_visible()
