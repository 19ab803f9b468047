"""The header's language switch (DESIGN §9: Simplified Chinese first, English second, per user).

The choice is a cookie, so it holds before and after logging in. Form fields are found by id: their
labels are what changes with the language.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tickets.models import RepairTicket

pytestmark = pytest.mark.browser


def test_switching_to_english_and_back(open_page, people, air_conditioner):
    page = open_page()
    page.goto("/login/")
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(heading).to_have_text("登录售后服务系统")
    switch = page.locator("select[name=language]")
    # Each language named in itself, whatever the page's language, so the way back is always readable.
    expect(switch.locator("option")).to_have_text(["简体中文", "English"])

    switch.select_option(label="English")
    expect(html).to_have_attribute("lang", "en")
    expect(switch.locator("option")).to_have_text(["简体中文", "English"])
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(heading).to_have_text("Log in to After-sales Service")
    page.get_by_label("Username").fill("wangfang")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    page.get_by_role("button", name="Service", exact=True).click()  # the header's menu by work area
    page.get_by_role("link", name="Tickets", exact=True).click()
    expect(html).to_have_attribute("lang", "en")  # the choice outlives the login
    expect(heading).to_have_text("Repair tickets")

    # The live warranty verdict (warranty's own catalogue) and Django's form messages speak English too.
    page.get_by_role("button", name="Service", exact=True).click()
    page.get_by_role("link", name="Log a call", exact=True).click()
    form = page.locator("#intake-form")
    form.locator("#id_unit-product_model").select_option(label=str(air_conditioner))
    form.locator("#id_unit-purchase_date").fill(
        (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    )
    form.locator("#id_unit-purchase_place").fill("Gome Xujiahui")
    verdict = page.get_by_test_id("verdict")
    expect(verdict.locator(".verdict-remedy")).to_have_text("Replacement")
    expect(verdict.locator("li").first).to_contain_text(
        "Day 10 after purchase, quality fault: exchange within"
    )
    form.locator("button[type=submit]").click()
    expect(form.locator("#id_customer-name ~ .invalid-feedback")).to_have_text("This field is required.")
    assert RepairTicket.objects.count() == 0

    # Signed in, the switch is in the account menu, each language a button named in itself.
    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name="简体中文", exact=True).click()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(heading).to_contain_text("报修登记")
