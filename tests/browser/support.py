"""What the browser tests share besides fixtures: launch options, viewports, page steps."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.accounts.factories import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
# The technician's tablet (DESIGN §1): touch, but not a phone user agent.
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": False}


def log_in(page: Page, username: str) -> None:
    """Through the real login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    # Logged in once the logout form is on the page (it may sit in the collapsed menu on a phone).
    expect(page.locator("form[action='/logout/']")).to_be_attached()


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll at {page.viewport_size['width']} px: {widths}"
