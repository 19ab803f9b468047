"""`make screenshots`: pictures of the app for the README, taken as its users see it.

A throwaway database (the test database's name + `_screenshots`) gets the demo data (`seed_demo`); a
live server thread serves it and Debian's Chromium, driven by Playwright, logs in as each demo user at
1366×768 and photographs their home page, the supervisor's ticket page with its next action, the
dispatcher's dispatch board and the manager's header menus at 1024×768. The monthly report PDF is rendered to one PNG per page by `pdftoppm`
(poppler-utils). Everything lands in docs/images/; the database is dropped at the end.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment
from django.utils import timezone
from playwright.sync_api import sync_playwright

from accounts.models import Role
from tickets.models import RepairTicket, State

VIEWPORT = {"width": 1366, "height": 768}
NARROW_VIEWPORT = {"width": 1024, "height": 768}
CHROMIUM = "/usr/bin/chromium"
# The demo user of each role, photographed on their home page (a technician's is their job list).
HOME_PAGES = [
    ("dispatcher", Role.DISPATCHER),
    ("technician", Role.TECHNICIAN),
    ("supervisor", Role.SUPERVISOR),
    ("warehouse", Role.WAREHOUSE),
    ("finance", Role.FINANCE),
    ("manager", Role.MANAGER),
    ("gm", Role.GENERAL_MANAGER),
    ("admin", Role.ADMIN),
]


class Command(BaseCommand):
    help = "Screenshots of each role's home page, the ticket page, the dispatch board and the monthly PDF."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "images"))
        parser.add_argument("--customers", type=int, default=40)

    def handle(self, *args, output: str, customers: int, **options) -> None:
        for tool in ("pdftoppm", CHROMIUM):
            if not shutil.which(tool):
                raise CommandError(f"{tool} is missing: ./scripts/system-packages.sh --screenshots")
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        setup_test_environment()
        test_settings = connection.settings_dict.setdefault("TEST", {})
        test_settings["NAME"] = f"{connection.settings_dict['NAME']}_screenshots"
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        media = tempfile.mkdtemp(prefix="screenshots-media-")
        try:
            with override_settings(
                MEDIA_ROOT=media,
                ALLOWED_HOSTS=["localhost"],
                STORAGES={
                    **settings.STORAGES,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
                },
            ):
                call_command("seed_demo", customers=customers, verbosity=0, stdout=self.stdout)
                self._photograph(out)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
            shutil.rmtree(media, ignore_errors=True)

    def _photograph(self, out: Path) -> None:
        server = LiveServerThread("localhost", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        base_url = f"http://localhost:{server.port}"
        ticket = RepairTicket.objects.filter(state=State.AWAITING_ACCEPTANCE, branch__code="SH").first()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                for username, role in HOME_PAGES:
                    page = self._logged_in(browser, base_url, username)
                    page.goto("/")
                    self._save(page, out / f"home-{role}.png")
                    if role == Role.SUPERVISOR and ticket is not None:
                        page.goto(ticket.get_absolute_url())
                        self._save(page, out / "ticket-page.png")
                    if role == Role.DISPATCHER:
                        page.goto("/tickets/board/")
                        self._save(page, out / "dispatch-board.png")
                    if role == Role.MANAGER:
                        self._header_menus(page, out)
                        month = timezone.localdate().strftime("%Y-%m")
                        response = page.request.get(f"/reports/monthly/report.pdf?month={month}")
                        if not response.ok:
                            raise CommandError(f"monthly PDF: HTTP {response.status}")
                        self._pdf_pages(response.body(), out)
                    page.context.close()
                browser.close()
        finally:
            server.terminate()

    def _header_menus(self, page, out: Path) -> None:
        """The header at 1024×768, the narrowest width it must fit on one line: a work-area menu open in
        Chinese, the account menu (name, branch, language, 退出) open in English."""
        page.set_viewport_size(NARROW_VIEWPORT)
        page.get_by_test_id("nav-reports").click()
        self._save(page, out / "header-1024.png")
        page.keyboard.press("Escape")
        page.get_by_test_id("account-menu").click()
        page.get_by_role("button", name="English", exact=True).click()
        page.get_by_test_id("account-menu").click()
        self._save(page, out / "header-1024-en.png")
        page.keyboard.press("Escape")
        page.get_by_test_id("account-menu").click()
        page.get_by_role("button", name="简体中文", exact=True).click()
        page.set_viewport_size(VIEWPORT)

    @staticmethod
    def _logged_in(browser, base_url: str, username: str):
        context = browser.new_context(
            base_url=base_url, viewport=VIEWPORT, locale="zh-CN", timezone_id=settings.TIME_ZONE
        )
        page = context.new_page()
        page.goto("/login/")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_load_state()
        if page.url.endswith("/login/"):
            raise CommandError(f"cannot log in as {username} with DEMO_PASSWORD")
        return page

    def _save(self, page, path: Path) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(path))
        self.stdout.write(f"wrote {path}")

    def _pdf_pages(self, pdf: bytes, out: Path) -> None:
        for old in out.glob("monthly-report-*.png"):
            old.unlink()
        with tempfile.TemporaryDirectory() as work:
            source = Path(work) / "monthly.pdf"
            source.write_bytes(pdf)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", str(source), str(out / "monthly-report")], check=True
            )
        for path in sorted(out.glob("monthly-report-*.png")):
            self.stdout.write(f"wrote {path}")
