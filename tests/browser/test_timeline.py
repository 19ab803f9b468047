"""The timeline board in Chromium at 1366×768 (issue #18 item 5): a waiting ticket dragged onto a technician's
hour is dispatched into that window; a drop on a page that went stale is refused; the keyboard does the same
as the mouse."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.support import assert_no_horizontal_scroll, log_in
from tests.customers.factories import UnitFactory
from tickets.models import RepairTicket, State
from tickets.services import CallDetails, apply_transition, log_call

pytestmark = pytest.mark.browser

LAPTOP = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def waiting(people, air_conditioner) -> RepairTicket:
    dispatcher, _technician = people
    unit = UnitFactory(owner__branch=dispatcher.branch, owner__name="张伟", product_model=air_conditioner)
    return log_call(
        user=dispatcher,
        unit=unit,
        details=CallDetails(fault_category="appliance", fault_description="不制冷"),
    )


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def timeline(open_page) -> Page:
    page = open_page(**LAPTOP)
    log_in(page, "wangfang")
    page.goto("/tickets/board/")
    page.get_by_test_id("open-timeline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("派工时间轴")
    expect(page.locator("[data-timeline][data-ready]")).to_be_attached()  # static/js/timeline.js has run
    return page


def test_a_ticket_dragged_onto_a_technicians_hour_is_dispatched_into_that_window(open_page, people, waiting):
    _dispatcher, technician = people
    page = timeline(open_page)
    assert_no_horizontal_scroll(page)
    cell = page.get_by_test_id(f"cell-liqiang-{tomorrow():%Y-%m-%d}-10")
    page.get_by_test_id(f"waiting-{waiting.number}").drag_to(cell)
    expect(page.locator("#messages")).to_contain_text(f"已派工:工单 {waiting.number} 交给 {technician}")
    expect(page.locator("#messages")).to_contain_text(f"{tomorrow():%Y-%m-%d} 10:00–12:00")
    block = page.get_by_test_id(f"block-{waiting.number}")
    expect(block).to_be_visible()
    expect(block).to_have_class("tl-block tl-c16 tl-s2 state-dispatched")  # tomorrow 10:00, two hours
    expect(page.get_by_test_id(f"waiting-{waiting.number}")).to_have_count(0)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.technician, timezone.localtime(waiting.appointment_start).hour) == (
        State.DISPATCHED,
        technician,
        10,
    )


def test_a_drop_on_a_stale_page_is_refused(open_page, people, persona, waiting):
    dispatcher, technician = people
    page = timeline(open_page)
    # Meanwhile a colleague dispatches the same ticket to someone else from another screen.
    colleague = persona("technician", username="wugang")
    apply_transition(
        ticket_id=waiting.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=waiting.version,
        technician=colleague,
    )
    page.get_by_test_id(f"waiting-{waiting.number}").drag_to(
        page.get_by_test_id(f"cell-liqiang-{tomorrow():%Y-%m-%d}-9")
    )
    expect(page.locator("#messages")).to_contain_text("已被他人更新")
    waiting.refresh_from_db()
    assert (waiting.technician, waiting.appointment) == (colleague, None)
    expect(page.get_by_test_id(f"block-{waiting.number}")).to_have_count(0)


def test_keyboard_dispatch_picks_up_moves_and_puts_down(open_page, people, persona, waiting):
    _dispatcher, technician = people
    persona("technician", username="wugang")  # a second row to move down to
    page = timeline(open_page)
    rows = page.locator(".tl-row[data-row]")
    expect(rows).to_have_count(2)
    target_row = rows.nth(1)
    target = target_row.get_attribute("data-testid").removeprefix("row-")
    ticket = page.get_by_test_id(f"waiting-{waiting.number}")
    ticket.focus()
    page.keyboard.press("Enter")
    # Picked up: the first hour still to come has the focus; Escape puts the ticket back.
    expect(page.locator(".tl-cell:focus")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(ticket).to_be_focused()
    page.keyboard.press("Enter")
    first = page.locator(".tl-cell:focus")
    start_col = int(first.get_attribute("data-col"))
    # Down to the second technician, then along to tomorrow 09:00 (column 13 of 0–23).
    page.keyboard.press("ArrowDown")
    for _ in range(abs(13 - start_col)):
        page.keyboard.press("ArrowRight" if start_col < 13 else "ArrowLeft")
    focused = page.locator(".tl-cell:focus")
    expect(focused).to_have_attribute("data-testid", f"cell-{target}-{tomorrow():%Y-%m-%d}-9")
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text(f"已派工:工单 {waiting.number}")
    waiting.refresh_from_db()
    assert waiting.technician.username == target
    assert timezone.localtime(waiting.appointment_start).hour == 9
    assert target != technician.username  # it went to the row the keys chose, not the first
