"""Intake: the search results are chosen with the keyboard, ↑ ↓ and Enter (issue #16)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.customers.factories import CustomerFactory, UnitFactory

pytestmark = pytest.mark.browser


def test_arrows_move_through_the_choices_and_enter_picks_one(open_page, people, air_conditioner, branch_a):
    customer = CustomerFactory(name="张伟", branch=branch_a, phone__number="13912345678")
    UnitFactory(owner=customer, product_model=air_conditioner, serial_number="SNFIRST01")
    UnitFactory(owner=customer, product_model=air_conditioner, serial_number="SNSECOND2")
    desk = open_page()
    log_in(desk, "wangfang")
    desk.goto("/tickets/new/")
    search = desk.get_by_label("查找客户")
    search.fill("139 1234")
    picks = desk.locator("#search-results a[data-pick]")
    expect(picks).to_have_count(3)  # two units and "new product for this customer"
    picked = re.compile(r"\bpicked\b")
    for key in ("ArrowDown", "ArrowDown", "ArrowUp", "ArrowUp"):
        search.press(key)
    expect(picks.nth(2)).to_have_class(picked)  # ↑ from the first wraps round to the last
    search.press("ArrowDown")
    search.press("ArrowDown")
    expect(picks.nth(1)).to_have_class(picked)
    expect(desk.locator("#search-results a.picked")).to_have_count(1)
    href = picks.nth(1).get_attribute("href")
    serial = picks.nth(1).get_attribute("data-testid").removeprefix("pick-unit-")
    search.press("Enter")
    expect(desk).to_have_url(re.compile(re.escape(href) + "$"))
    expect(desk.get_by_test_id("unit-tickets")).to_be_visible()
    expect(desk.locator("#intake-form")).to_contain_text(serial)


def test_what_was_typed_before_the_scripts_ran_is_searched(open_page, people, air_conditioner, branch_a):
    """On a slow network the dispatcher types into the box before htmx has loaded: the search still runs
    once it has (the keystrokes' events went to no listener)."""
    CustomerFactory(name="张伟", branch=branch_a, phone__number="13912345678")
    desk = open_page()
    log_in(desk, "wangfang")
    held: list = []
    desk.route("**/vendor/htmx/htmx.min.js", lambda route: held.append(route))  # held until let go
    desk.goto("/tickets/new/", wait_until="commit")
    desk.get_by_label("查找客户").fill("139 1234")
    for _ in range(100):  # the parser has asked for htmx by now; the route hears of it between calls
        if held:
            break
        desk.wait_for_timeout(100)
    assert held, "htmx was not requested"
    held[0].continue_()
    expect(desk.locator("#search-results")).to_contain_text("张伟")
