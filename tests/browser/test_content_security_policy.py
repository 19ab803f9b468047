"""The Content-Security-Policy (issue #15) refuses inline scripts, event handler attributes and inline
styles; the main pages of every role run under it without one violation, and the behaviour that was
inline (confirmations, printing, the language switch, the monthly report's export notice) still works
from static/js/."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import ApiToken, User
from tests.accounts.factories import PASSWORD
from tests.browser.support import log_in
from tests.security.conftest import ROLE_USER
from tests.security.test_access_matrix import ACCESS, OWN, expected
from tickets.models import RepairTicket, State

pytestmark = pytest.mark.browser

# Every page without an object in its URL, per role; left out: downloads, pages that need a query, and
# the customer search's result list and the fault code options (htmx fragments, no document of their
# own), the PWA's manifest and service worker, and the scripts' translations (/jsi18n/).
PAGES = [
    (name, next(role for role in ROLE_USER if expected(rule, role, OWN) == 200))
    for name, rule in ACCESS.items()
    if rule.method == "GET"
    and not (rule.api or rule.objects or rule.query or "pdf" in name)
    and name not in ("customers:search", "tickets:fault_code_options")  # htmx fragments
    and name not in ("manifest", "service_worker", "javascript-catalog")  # files for the browser, not pages
]


def watch_for_violations(page: Page, violations: list[str] | None = None) -> list[str]:
    violations = [] if violations is None else violations
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return violations


@pytest.fixture
def demo(reference_data, settings):
    settings.DEMO_PASSWORD = PASSWORD
    call_command("seed_demo", customers=10, stdout=io.StringIO())


def test_the_main_pages_show_no_violation(open_page, demo):
    visited = []
    anonymous = open_page()
    violations = watch_for_violations(anonymous)
    for name in ("login", "accounts:password_reset"):
        anonymous.goto(reverse(name))
        visited.append(name)
    for role, username in ROLE_USER.items():
        page = open_page()
        watch_for_violations(page, violations)
        log_in(page, username)
        for name, who in PAGES:
            if who == role:
                page.goto(reverse(name))
                page.wait_for_load_state("networkidle")  # htmx's own requests (live verdict, lists)
                visited.append(name)
        if role == "technician":
            ticket = RepairTicket.objects.filter(technician__username=username, state=State.ON_SITE).first()
            for name in ("tickets:detail", "tickets:report"):
                page.goto(reverse(name, args=[ticket.pk]))
                visited.append(name)
    assert len(visited) > 50 and violations == []


def test_the_admin_and_the_api_docs_show_no_violation(browser, live_server, demo):
    """A page of its own: the admin has no favicon, and `open_page` would count the browser's 404."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations = watch_for_violations(page)
    log_in(page, "admin")
    for path in ("/admin/", "/admin/accounts/user/", "/admin/accounts/apitoken/", "/api/docs"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    expect(page.locator(".swagger-ui .info")).to_be_visible()  # the docs' script ran
    assert violations == []
    context.close()


def test_the_policy_is_enforced(browser, live_server):
    """The listener above is not deaf: an inline script is refused, and reported on the console (a page
    of its own: the `open_page` fixture would count the provoked error as a failure)."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations = watch_for_violations(page)
    page.goto(reverse("login"))
    page.evaluate(
        """() => { const script = document.createElement("script");
                   script.textContent = "window.ran = 1"; document.head.append(script); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    assert any("inline script" in violation for violation in violations), violations
    context.close()


def test_confirmations_and_the_language_switch_work_from_static_files(open_page, demo):
    dispatcher = User.objects.get(username="dispatcher")
    ApiToken.issue(dispatcher, client="平板 App/2.1")
    page = open_page()
    violations = watch_for_violations(page)
    log_in(page, "dispatcher")
    page.goto(reverse("accounts:tokens"))
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="撤销").click()
    expect(page.get_by_test_id("tokens")).to_contain_text("平板 App/2.1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销").click()
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    # The account menu (Bootstrap's dropdown, from the static bundle) holds the language switch.
    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("link", name="API tokens")).to_be_visible()
    assert violations == []
