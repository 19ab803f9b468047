"""The technician's pages on a tablet and a phone: every tap target at least 44 px tall, no sideways
scrolling (DESIGN §9 "Touch").
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.support import TABLET, assert_no_horizontal_scroll, log_in
from tickets.services import CallDetails, apply_transition, take_call

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "has_touch": True, "is_mobile": True}

# Visible things a finger hits, with their size. A checkbox or radio is hit through its label.
SMALL_TARGETS_JS = """() => {
  const targets = document.querySelectorAll(
    'a[href], button, select, textarea, summary, input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
    + ' input[type=checkbox] + label, input[type=radio] + label');
  return [...targets]
    .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
    .map(e => ({target: e.outerHTML.slice(0, 90), height: e.getBoundingClientRect().height}))
    .filter(t => t.height < 44);
}"""


def assert_touch_targets_large_enough(page: Page) -> None:
    small = page.evaluate(SMALL_TARGETS_JS)
    assert not small, f"tap targets under 44 px at {page.viewport_size['width']} px: {small}"


@pytest.mark.parametrize("device", [TABLET, PHONE], ids=["tablet-1024", "phone-375"])
def test_technician_pages_are_touch_friendly(open_page, people, air_conditioner, device):
    dispatcher, technician = people
    ticket = take_call(
        user=dispatcher,
        details=CallDetails(fault_category="appliance", fault_description="遥控器无反应,显示屏不亮"),
        new_customer={
            "name": "张伟",
            "phone": "13912345678",
            "address": "上海市徐汇区漕溪北路 88 号",
            "service_zone": "city",
        },
        new_unit={
            "product_model": air_conditioner,
            "serial_number": "SN-2026-0003",
            "purchase_date": timezone.localdate() - datetime.timedelta(days=40),
            "purchase_place": "国美电器徐家汇店",
        },
    )
    apply_transition(
        ticket_id=ticket.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=ticket.version,
        technician=technician,
    )

    page = open_page(**device)
    log_in(page, "liqiang")
    expect(page.get_by_test_id(f"job-{ticket.number}")).to_be_visible()
    assert_touch_targets_large_enough(page)
    assert_no_horizontal_scroll(page)

    page.goto(ticket.get_absolute_url())
    # The on-site fault revision form, with its checkboxes (the appointment form above it is open already).
    page.locator("summary", has_text="修改故障原因").tap()
    expect(page.locator("details[open] textarea[name=note]")).to_be_visible()
    assert_touch_targets_large_enough(page)
    assert_no_horizontal_scroll(page)
