"""The dispatcher logs a call and dispatches it; the technician checks in on a tablet (DESIGN §1, §3, §9).

Each test starts from an empty database (see conftest) and goes through the real pages: login form,
call intake with its htmx search and live verdict, ticket page, dispatch board, my jobs.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import Customer, Unit
from tests.accounts.factories import TechnicianProfileFactory, TechnicianSkillFactory
from tests.browser.support import TABLET, assert_no_horizontal_scroll, log_in
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State
from tickets.services import CallDetails, take_call

pytestmark = pytest.mark.browser

PHONE = "13912345678"


def ticket_number_today(sequence: int = 1) -> str:
    return f"SH-{timezone.localdate():%Y%m%d}-{sequence:04d}"


def fill_new_call(page: Page, *, model, phone: str, purchase_date: datetime.date) -> None:
    """The new-customer, new-unit and call fields of the intake form, by their visible labels."""
    form = page.locator("#intake-form")
    form.get_by_label("客户名称").fill("张伟")
    form.get_by_label("联系电话").fill(phone)
    form.get_by_label("地址").fill("上海市徐汇区漕溪北路 88 号")
    form.get_by_label("服务区域").select_option(label="市区")
    form.get_by_label("距服务网点(公里)").fill("8")
    form.get_by_label("产品型号").select_option(label=str(model))
    form.get_by_label("序列号").fill("SN-2026-0001")
    form.get_by_label("购买日期").fill(purchase_date.isoformat())
    form.get_by_label("购买地点").fill("国美电器徐家汇店")
    form.get_by_label("故障类别").select_option(label="家用电器")
    form.get_by_label("故障描述").fill("开机后不制冷,室外机不转")


def test_call_intake_dispatch_and_check_in(open_page, people, air_conditioner):
    dispatcher, technician = people
    number = ticket_number_today()

    # 1. The dispatcher logs the call of a new customer and sees the verdict before submitting.
    desk = open_page()
    log_in(desk, "wangfang")
    desk.get_by_test_id("nav-service").click()  # the header's 服务 menu
    desk.get_by_role("link", name="报修登记").first.click()
    expect(desk).to_have_url(re.compile(r"/tickets/new/$"))
    expect(desk.locator("link[rel=stylesheet][href*=bootstrap]")).to_have_count(1)
    # Bootstrap really applied (not only requested): .btn-primary gets its blue background.
    submit = desk.get_by_role("button", name="登记报修", exact=True)
    expect(submit).to_have_css("background-color", "rgb(13, 110, 253)")

    desk.get_by_label("查找客户").fill(PHONE)
    expect(desk.locator("#search-results")).to_contain_text(f"没有找到“{PHONE}”")

    fill_new_call(
        desk,
        model=air_conditioner,
        phone=PHONE,
        purchase_date=timezone.localdate() - datetime.timedelta(days=10),
    )
    verdict = desk.get_by_test_id("verdict")
    # Manufacturer policy, day 10: past the 7-day refund, within the 1-month replacement (§3).
    expect(verdict.locator(".verdict-remedy")).to_have_text("换货")
    expect(verdict).to_contain_text("公司承担")
    expect(verdict.locator("li").first).to_have_text(re.compile(r"^购买第 10 天,质量问题,.+内可换货"))
    assert RepairTicket.objects.count() == 0  # the verdict is a preview: nothing saved yet

    submit.click()
    expect(desk).to_have_url(re.compile(r"/tickets/\d+/$"))
    expect(desk.locator("#messages")).to_contain_text(f"已登记报修,工单号 {number}。")
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"工单 {number}")
    expect(desk.get_by_test_id("ticket-state")).to_have_text("已报修")
    expect(desk.get_by_test_id("verdict").locator(".verdict-remedy")).to_have_text("换货")
    expect(desk.get_by_test_id("verdict")).to_contain_text("购买第 10 天,质量问题")

    # 2. … and dispatches it from the ticket page.
    desk.get_by_label("技术员", exact=True).select_option(label="李强")
    desk.get_by_role("button", name="派工", exact=True).click()
    expect(desk.locator("#messages")).to_contain_text(f"“派工”已完成,工单 {number} 当前状态:已派工")
    expect(desk.get_by_test_id("ticket-state")).to_have_text("已派工")

    # 3. The technician, on a tablet, lands on 我的任务 and checks in with one tap.
    tablet = open_page(**TABLET)
    log_in(tablet, "liqiang")
    expect(tablet).to_have_url(re.compile(r"/tickets/mine/$"))
    card = tablet.get_by_test_id(f"job-{number}")
    expect(card).to_contain_text("张伟")
    expect(card).to_contain_text("已派工")
    check_in = card.get_by_test_id(f"check-in-{number}")
    expect(check_in).to_have_text("到达签到")
    assert check_in.bounding_box()["height"] >= 44  # DESIGN §9: touch targets of at least 44 px
    assert_no_horizontal_scroll(tablet)

    check_in.tap()
    expect(tablet.locator("#messages")).to_contain_text(f"“到达签到”已完成,工单 {number} 当前状态:上门处理中")
    expect(card).to_contain_text("上门处理中")
    assert_no_horizontal_scroll(tablet)

    # 4. The history shows who did what.
    card.get_by_role("link", name="打开任务").tap()
    expect(tablet).to_have_url(re.compile(r"/tickets/\d+/$"))
    expect(tablet.get_by_test_id("ticket-state")).to_have_text("上门处理中")
    events = tablet.get_by_test_id("timeline").locator("> li")
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text("登记报修")
    expect(events.nth(0)).to_contain_text("王芳")
    expect(events.nth(1)).to_contain_text("派工")
    expect(events.nth(1)).to_contain_text("王芳")
    expect(events.nth(1)).to_contain_text("技术员: 李强")
    expect(events.nth(2)).to_contain_text("到达签到")
    expect(events.nth(2)).to_contain_text("李强")
    assert_no_horizontal_scroll(tablet)

    ticket = RepairTicket.objects.get()
    assert (ticket.number, ticket.state, ticket.technician) == (number, State.ON_SITE, technician)
    assert ticket.reported_by == dispatcher and ticket.warranty_remedy == "replace"
    assert ticket.customer.phones.get().number == PHONE


def test_dispatch_from_the_board_once_the_technician_is_chosen(open_page, people, air_conditioner):
    """No technician stands chosen on a card: 派工 with none chosen sends nothing (the select is required)."""
    dispatcher, technician = people
    ticket = take_call(
        user=dispatcher,
        details=CallDetails(fault_category="appliance", fault_description="遥控器无反应"),
        new_customer={
            "name": "张伟",
            "phone": PHONE,
            "address": "上海市徐汇区漕溪北路 88 号",
            "service_zone": "city",
        },
        new_unit={"product_model": air_conditioner, "serial_number": "SN-2026-0002"},
    )

    # On a tablet held sideways, with the technician on his way to another job: the 在途 badge and its long
    # number wrap in the narrow column instead of pushing the load off the screen (seen by a helper).
    TicketFactory(
        unit__owner__branch=ticket.branch,
        dispatched=True,
        technician=technician,
        departed_at=timezone.now(),
        number="SH-20261128-0002",
    )
    desk = open_page(viewport={"width": 1024, "height": 768})
    log_in(desk, "wangfang")
    desk.get_by_test_id("nav-service").click()
    desk.get_by_role("link", name="派工看板").first.click()
    expect(desk).to_have_url(re.compile(r"/tickets/board/$"))
    expect(desk.locator("main")).to_contain_text(ticket.number)
    expect(desk.get_by_test_id("on-the-way")).to_contain_text("SH-20261128-0002")
    assert_no_horizontal_scroll(desk)
    desk.get_by_test_id(f"dispatch-{ticket.number}").click()
    lead = desk.get_by_test_id(f"technician-{ticket.number}")
    assert lead.evaluate("select => select.validationMessage")  # the browser asks for a choice
    ticket.refresh_from_db()
    assert ticket.state == State.REPORTED
    lead.select_option(value=str(technician.pk))
    desk.get_by_test_id(f"dispatch-{ticket.number}").click()

    expect(desk).to_have_url(re.compile(r"/tickets/board/$"))
    expect(desk.locator("#messages")).to_contain_text(f"“派工”已完成,工单 {ticket.number} 当前状态:已派工")
    expect(desk.locator("main")).to_contain_text("没有待派工的工单。")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.technician) == (State.DISPATCHED, technician)

    desk.goto(ticket.get_absolute_url())
    expect(desk.get_by_test_id("ticket-state")).to_have_text("已派工")


def test_one_tap_on_a_suggestion_dispatches_to_that_technician(open_page, people, air_conditioner):
    """The card's suggestions share one form: the tapped button's technician is what is sent, although
    app.js disables every button of the form once it is sent."""
    dispatcher, technician = people
    TechnicianProfileFactory(user=technician)
    TechnicianSkillFactory(technician=technician, category="appliance")
    ticket = take_call(
        user=dispatcher,
        details=CallDetails(fault_category="appliance", fault_description="遥控器无反应"),
        new_customer={"name": "李娜", "phone": PHONE, "address": "上海市静安区", "service_zone": "city"},
        new_unit={"product_model": air_conditioner, "serial_number": "SN-2026-0003"},
    )

    desk = open_page()
    log_in(desk, "wangfang")
    desk.goto("/tickets/board/")
    suggestions = desk.get_by_test_id(f"suggestions-{ticket.number}")
    expect(suggestions).to_contain_text(str(technician))
    suggestions.get_by_test_id("accept-suggestion").first.click()

    expect(desk).to_have_url(re.compile(r"/tickets/board/$"))
    expect(desk.locator("#messages")).to_contain_text(f"“派工”已完成,工单 {ticket.number} 当前状态:已派工")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.technician) == (State.DISPATCHED, technician)


def test_invalid_intake_shows_chinese_errors_and_saves_nothing(open_page, people, air_conditioner):
    desk = open_page()
    log_in(desk, "wangfang")
    desk.goto("/tickets/new/")
    fill_new_call(
        desk,
        model=air_conditioner,
        phone="12345",
        purchase_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    # A purchase in the future gets no verdict, not a wrong one.
    expect(desk.get_by_test_id("verdict")).to_contain_text("这里显示保修结论")
    desk.get_by_role("button", name="登记报修", exact=True).click()

    expect(desk.locator("#messages")).to_contain_text("请按提示修改标红的项目后再提交。")
    phone = desk.get_by_label("联系电话")
    purchase_date = desk.get_by_label("购买日期")
    expect(phone).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(purchase_date).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(desk.locator("#id_customer-phone ~ .invalid-feedback")).to_have_text(
        "请输入有效的手机号(11 位)或带区号的座机号,如 021-61234567。"
    )
    expect(desk.locator("#id_unit-purchase_date ~ .invalid-feedback")).to_have_text(
        "购买日期不能晚于报修日期。"
    )
    expect(desk.locator(".invalid-feedback")).to_have_count(2)
    assert (Customer.objects.count(), Unit.objects.count(), RepairTicket.objects.count()) == (0, 0, 0)

    # What was typed is kept: correcting the two fields is enough.
    expect(desk.get_by_label("客户名称")).to_have_value("张伟")
    expect(desk.get_by_label("故障描述")).to_have_value("开机后不制冷,室外机不转")
    phone.fill(PHONE)
    purchase_date.fill((timezone.localdate() - datetime.timedelta(days=10)).isoformat())
    expect(desk.get_by_test_id("verdict").locator(".verdict-remedy")).to_have_text("换货")
    desk.get_by_role("button", name="登记报修", exact=True).click()
    expect(desk.locator("#messages")).to_contain_text(f"已登记报修,工单号 {ticket_number_today()}。")
    assert (Customer.objects.count(), Unit.objects.count(), RepairTicket.objects.count()) == (1, 1, 1)
