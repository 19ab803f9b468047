"""The header stays one line for every role, in both languages, at 1024 px and wider (issue #16).

At 1366×768 and 1024×768 the supervisor's and the manager's eleven links wrapped one character per line
(派/工/看/板) and the user's name and branch took a third of the width. The menu is now grouped by work
area (aftersales/navigation.py) and the user sits in a dropdown; this measures the real header in
Chromium: its height, each top entry on one line, every dropdown opening inside the window.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.accounts.factories import BranchFactory, UserFactory
from tests.browser.support import log_in, switch_language

pytestmark = pytest.mark.browser

VIEWPORTS = [(1024, 768), (1366, 768)]
LANGUAGES = ["zh-hans", "en"]

# For each top entry of the header: how many lines its text takes (distinct line boxes of its text).
TOP_ENTRY_LINES_JS = """() => {
  const header = document.querySelector('[data-testid=header]');
  const entries = header.querySelectorAll(
    '.navbar-brand, [data-testid=nav] > li > .nav-link, [data-testid=inbox-link], [data-testid=account-menu]');
  return [...entries].map(entry => {
    const tops = new Set();
    const texts = document.createTreeWalker(entry, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(texts.currentNode);
      [...range.getClientRects()].filter(r => r.width > 0).forEach(r => tops.add(Math.round(r.top)));
    }
    return {text: entry.textContent.trim(), lines: tops.size, top: Math.round(entry.getBoundingClientRect().top)};
  });
}"""


@pytest.fixture
def users_by_role(reference_data):
    """One user per role with a long name, in a branch with a long name (the worst case for the width)."""
    branch = BranchFactory(code="PD", name="上海浦东新区张江高科技园区服务中心")
    users = {}
    for role in Role:
        user = UserFactory(
            username=f"header-{role.value}",
            last_name="欧阳",
            first_name="晓明明明",
            branch=branch,
            roles=[role],
        )
        if role == Role.ADMIN:  # as seed_demo makes the administrator
            user.is_staff = user.is_superuser = True
            user.save()
        users[role] = user
    # The widest header: every role at once and staff (all six areas of aftersales/navigation.py).
    users["all"] = UserFactory(
        username="header-all",
        last_name="欧阳",
        first_name="晓明明明",
        branch=branch,
        roles=list(Role),
        is_staff=True,
    )
    return users


def assert_header_on_one_line(page: Page, where: str) -> None:
    expect(page.locator(".navbar-toggler")).to_be_hidden()  # the menu is laid out, not collapsed
    box = page.get_by_test_id("header").bounding_box()
    assert box["height"] <= 64, f"{where}: the header is {box['height']} px high"
    entries = page.evaluate(TOP_ENTRY_LINES_JS)
    assert len(entries) >= 4, f"{where}: {entries}"
    wrapped = [entry for entry in entries if entry["lines"] != 1]
    assert not wrapped, f"{where}: entries over more than one line: {wrapped}"
    rows = {entry["top"] for entry in entries}
    assert max(rows) - min(rows) <= 12, f"{where}: entries on different rows: {entries}"


def assert_dropdowns_open_inside_the_window(page: Page, where: str) -> None:
    """Each dropdown of the header opens on a click (Bootstrap's script, no inline JS) and its links fit."""
    width = page.viewport_size["width"]
    toggles = page.locator("[data-testid=header] [data-bs-toggle=dropdown]")
    assert toggles.count() >= 1
    for index in range(toggles.count()):
        toggle = toggles.nth(index)
        toggle.click()
        menu = toggle.locator("xpath=following-sibling::ul[contains(@class, 'dropdown-menu')]")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (
            f"{where}: {toggle.inner_text()} menu {box}"
        )
        for item in menu.locator(".dropdown-item").all():
            expect(item).to_be_visible()
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()


@pytest.mark.parametrize("role", [*Role, "all"], ids=[*(role.value for role in Role), "all"])
def test_the_header_is_one_line_for_every_role_language_and_width(open_page, users_by_role, role):
    page = open_page(viewport={"width": 1366, "height": 768})
    log_in(page, users_by_role[role].username)
    for language in LANGUAGES:
        switch_language(page, language)
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            where = f"{role}, {language}, {width}×{height}"
            assert_header_on_one_line(page, where)
            assert_dropdowns_open_inside_the_window(page, where)


def test_the_account_menu_holds_the_user_the_branch_the_language_and_log_out(open_page, users_by_role):
    page = open_page(viewport={"width": 1024, "height": 768})
    log_in(page, users_by_role[Role.MANAGER].username)
    account = page.get_by_test_id("account-menu")
    expect(account).to_have_attribute("title", "欧阳晓明明明 · 上海浦东新区张江高科技园区服务中心")
    account.click()
    expect(page.get_by_test_id("account-who")).to_have_text("欧阳晓明明明")
    expect(page.get_by_text("上海浦东新区张江高科技园区服务中心")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("nav-money")).to_have_text("Claims & fees")

    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("account-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")

    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))
