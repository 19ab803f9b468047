"""Browser tests: Playwright's sync API driving Debian's Chromium (headless) against `live_server`.

Database. `live_server` makes every test transactional: pytest-django flushes all tables after each
test, including the rows the data migrations wrote (role groups with their permissions, warranty
policy presets). Every test gets them back through `reference_data` (tests/conftest.py, required by
the `people` and `air_conditioner` fixtures), which writes them again with the migrations' own
functions: cheaper than `serialized_rollback` (which serialises and reloads the whole database around
every test), and it cannot drift from the migrations.

Event loop. The sync API runs an asyncio loop in this thread, so Django's ORM would refuse to run
from the test body (SynchronousOnlyOperation) without DJANGO_ALLOW_ASYNC_UNSAFE. Nothing here is
actually concurrent: the test thread waits while the browser talks to the live server's thread.

Hygiene. Every page opened through `open_page` records console errors, uncaught exceptions, failed
requests and HTTP responses >= 400 from the live server; the test fails (at teardown) if there are
any, so a missing static file or a broken script cannot pass unnoticed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.db import connection
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, expect, sync_playwright

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser.support import CAMERA_LABEL, CHROMIUM_ARGS, DESKTOP, qr_y4m
from tests.customers.factories import ProductModelFactory, UnitFactory
from tests.s3 import bucket, s3_server  # noqa: F401 (fixtures: a local S3 server, tests/storage)
from tickets.models import RepairTicket
from tickets.services import CallDetails, apply_transition, log_call
from warranty.models import WarrantyPolicy

# Read by Django at each ORM call, so setting it here, before any test runs, is enough.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """One Playwright per session: the sync API cannot start a second one in the same thread."""
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def camera_browser(playwright_driver: Playwright, chromium_path: str, tmp_path_factory) -> Iterator[Browser]:
    """A second Chromium whose camera films a unit's QR label (support.CAMERA_LABEL): Chromium's fake
    capture device plays a generated video, and its fake permission prompt says yes. Separate from
    `browser` because the camera is chosen at launch. Open pages in it with `open_page(using=...)`."""
    video = qr_y4m(CAMERA_LABEL, tmp_path_factory.mktemp("camera") / "qr-label.y4m")
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def open_page(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """open_page(**context_options): a page in a fresh browser context (own cookies), watched for errors;
    `using=` another browser than the session's (`camera_browser`)."""
    origin = urlsplit(live_server.url).netloc
    problems: list[str] = []
    contexts: list[BrowserContext] = []
    console_errors: list[tuple[str, str]] = []
    outbox_answers: set[tuple[int, str]] = set()

    def same_origin(url: str) -> bool:
        return urlsplit(url).netloc == origin

    def answered_on_the_page(response) -> bool:
        # The outbox's refusals (400) and conflicts (409) are JSON the page shows to the technician,
        # the outcome those tests assert (Chromium still logs them to the console); any other error
        # still counts.
        if response.status in (400, 409) and response.request.headers.get("x-outbox") == "1":
            outbox_answers.add((response.status, response.url))
            return True
        return False

    def logged_outbox_answer(text: str, url: str) -> bool:
        return any(
            text == f"Failed to load resource: the server responded with a status of {status} ({reason})"
            and url == answered
            for status, answered in outbox_answers
            for reason in ("Bad Request", "Conflict")
        )

    def aborted_by_navigation(request: Request) -> bool:
        # A live-verdict preview still in flight when the user submits the form, or a page's script still
        # loading when the test taps on to the next page, is cancelled by the browser: harmless, and a race
        # the test cannot order (a missing script is a 404 response, not an abort, and still counts).
        return request.failure == "net::ERR_ABORTED" and request.resource_type in ("xhr", "fetch", "script")

    def make(using: Browser | None = None, **options) -> Page:
        context = (using or browser).new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **{**DESKTOP, **options}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                console_errors.append((message.text, message.location.get("url", "")))
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
        page.on(
            "requestfailed",
            lambda request: (
                problems.append(f"request failed: {request.method} {request.url}: {request.failure}")
                if same_origin(request.url) and not aborted_by_navigation(request)
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")
                if response.status >= 400 and same_origin(response.url) and not answered_on_the_page(response)
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    wait_for_the_servers_requests_to_end()
    problems += [
        f"console error: {text} ({url})"
        for text, url in console_errors
        if not logged_outbox_answer(text, url)
    ]
    if problems:
        pytest.fail("The browser saw errors:\n" + "\n".join(problems), pytrace=False)


def wait_for_the_servers_requests_to_end(limit: float = 10.0) -> None:
    """The service worker keeps fetching the day's pages in the background; a request the live server
    is still answering when the test's database is flushed deadlocks the flush (TRUNCATE against the
    request's open transaction). Wait until no other session of this database is inside a query or a
    transaction, three times in a row."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + limit
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            busy = cursor.fetchone()[0]
        quiet = 0 if busy else quiet + 1
        time.sleep(0.05)


@pytest.fixture
def people(reference_data, branch_a):
    """The dispatcher 王芳 and the technician 李强 of the Shanghai branch (SH)."""
    dispatcher = UserFactory(
        username="wangfang", last_name="王", first_name="芳", branch=branch_a, roles=[Role.DISPATCHER]
    )
    technician = UserFactory(
        username="liqiang", last_name="李", first_name="强", branch=branch_a, roles=[Role.TECHNICIAN]
    )
    return dispatcher, technician


@pytest.fixture
def air_conditioner(reference_data):
    """A product model under the §3 manufacturer policy (refund 7 d, replace 1 month, repair 12 months)."""
    return ProductModelFactory(
        code="KFR-35GW", name="壁挂式空调", warranty_policy=WarrantyPolicy.objects.get(slug="manufacturer")
    )


def dispatched_call(people, product_model, customer: str, fault: str) -> RepairTicket:
    """A call logged by 王芳 for `customer`'s unit and dispatched to 李强, through the services."""
    dispatcher, technician = people
    unit = UnitFactory(owner__branch=dispatcher.branch, owner__name=customer, product_model=product_model)
    ticket = log_call(
        user=dispatcher,
        unit=unit,
        details=CallDetails(fault_category="appliance", fault_description=fault),
    )
    return apply_transition(
        ticket_id=ticket.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=ticket.version,
        technician=technician,
    )


@pytest.fixture
def job(people, air_conditioner) -> RepairTicket:
    """张伟's air conditioner stops after five minutes: logged by 王芳, dispatched to 李强."""
    return dispatched_call(people, air_conditioner, "张伟", "开机五分钟后停机")
