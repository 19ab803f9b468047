"""`make screenshots`: pictures of the app for the README, taken as its users see it.

A throwaway database (the test database's name + `_screenshots`) gets the demo data (`seed_demo`); a
live server thread serves it and Debian's Chromium, driven by Playwright, logs in as each demo user at
1366×768 and photographs their home page, the supervisor's ticket page with its next action, the
dispatcher's dispatch board and the manager's header menus at 1024×768. The monthly report PDF is rendered to one PNG per page by `pdftoppm`
(poppler-utils). The customer's channel is photographed on a 390×844 phone: the demo customer whose
technician is on the way signs in with the texted code (the SMS captured by `CapturedSms`, sent as the
worker would send it), then their home, that ticket's timeline, the fault report form with its verdict
and the product registration form. Everything lands in docs/images/; the database is dropped at the end.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import sync_playwright

from accounts.models import Role
from customers.models import Unit
from notifications.models import Delivery
from notifications.tasks import deliver
from tickets.models import RepairTicket, State

VIEWPORT = {"width": 1366, "height": 768}
NARROW_VIEWPORT = {"width": 1024, "height": 768}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
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


class CapturedSms:
    """The SMS backend while photographing: the texts are kept here, so the customer can type their code."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


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
                SMS_BACKEND=f"{__name__}.CapturedSms",
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
        channel = self._channel_subjects()
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
                self._channel(browser, base_url, out, channel)
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
    def _channel_subjects() -> tuple[RepairTicket, str, Unit]:
        """The demo ticket whose technician is on the way, its customer's number and their other appliance
        (read before Playwright starts: the ORM refuses to run inside its event loop)."""
        ticket = (
            RepairTicket.objects.filter(state=State.DISPATCHED, departed_at__isnull=False)
            .select_related("customer")
            .order_by("pk")
            .first()
        )
        if ticket is None:
            raise CommandError("the demo data has no ticket whose technician is on the way")
        phone = ticket.customer.phones.order_by("pk").values_list("number", flat=True).first()
        other = Unit.objects.filter(owner=ticket.customer).exclude(pk=ticket.unit_id).order_by("pk").first()
        if other is None:
            raise CommandError(f"the demo customer of {ticket.number} has no second appliance to report")
        return ticket, phone, other

    def _channel(self, browser, base_url: str, out: Path, subjects: tuple[RepairTicket, str, Unit]) -> None:
        """The customer's channel on a phone: sign-in (number, then the texted code), their home, the
        ticket whose technician is on the way, a fault report for their other appliance with its verdict,
        and the product registration form."""
        ticket, phone, other = subjects
        context = browser.new_context(
            base_url=base_url, locale="zh-CN", timezone_id=settings.TIME_ZONE, **PHONE
        )
        page = context.new_page()
        page.goto("/p/login/")
        page.get_by_label("手机号码").fill(phone)
        self._save(page, out / "channel-sign-in.png")
        page.get_by_role("button", name="获取验证码").tap()
        page.get_by_role("heading", name="输入验证码").wait_for()
        with ThreadPoolExecutor(max_workers=1) as worker:
            code = worker.submit(self._texted_code, phone).result()
        page.get_by_label("验证码").fill(code)
        self._save(page, out / "channel-code.png")
        page.get_by_role("button", name="登录", exact=True).tap()
        page.get_by_role("heading", name="我的报修").wait_for()
        self._save(page, out / "channel-home.png")
        page.goto(reverse("portal:ticket", args=[ticket.pk]))
        self._save(page, out / "channel-ticket.png")
        page.goto(reverse("portal:report") + f"?unit={other.pk}")
        page.get_by_test_id("portal-verdict").wait_for()
        self._save(page, out / "channel-report.png")
        page.goto(reverse("portal:register"))
        self._save(page, out / "channel-register.png")
        context.close()

    @staticmethod
    def _texted_code(phone: str) -> str:
        """Send the sign-in code's SMS as the worker would (to `CapturedSms`) and read the code in it; in a
        thread of its own, as a worker is, outside Playwright's event loop."""
        try:
            pending = Delivery.objects.filter(status=Delivery.Status.PENDING, notification__phone=phone)
            deliver.run(list(pending.values_list("pk", flat=True)))
        finally:
            connections.close_all()
        for to, text in reversed(CapturedSms.sent):
            found = re.search(r"^(\d{6})$", text, re.MULTILINE)
            if to == phone and found:
                return found.group(1)
        raise CommandError(f"no sign-in code was texted to {phone}")

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
