"""The pages the technician's tablet keeps for offline use cost the server one render each, not one per
opening of 我的任务 (issue #14): the service worker fetches a listed page only when its copy is more
than a few minutes old or a write to its job came after it, never twice at once, and drops the pages of
jobs no longer on the list. Counted on the server: every request the live server handles (the service
worker's fetches are invisible to the page's request events)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from django.core.signals import request_started
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser.conftest import dispatched_call, wait_for_the_servers_requests_to_end
from tests.browser.support import TABLET, log_in
from tickets.models import RepairTicket
from tickets.services import apply_transition

pytestmark = pytest.mark.browser

MY_JOBS = "/tickets/mine/"
MY_VAN = "/parts/my/van/"


class ServerRequests:
    """The GET requests the live server handled, by path and query, as the server saw them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: Counter[str] = Counter()

    def __call__(self, sender, environ, **kwargs) -> None:
        if environ["REQUEST_METHOD"] != "GET":
            return
        query = environ.get("QUERY_STRING", "")
        with self.lock:
            self.seen[environ["PATH_INFO"] + (f"?{query}" if query else "")] += 1

    def of(self, paths: list[str]) -> dict[str, int]:
        with self.lock:
            return {path: self.seen[path] for path in paths}

    def clear(self) -> None:
        wait_for_the_servers_requests_to_end()
        with self.lock:
            self.seen.clear()


@pytest.fixture
def server_requests() -> Iterator[ServerRequests]:
    requests = ServerRequests()
    request_started.connect(requests, weak=False)
    yield requests
    request_started.disconnect(requests)


def kept_pages(ticket: RepairTicket) -> list[str]:
    """What 我的任务 lists for one job: its page and every report step."""
    return [f"/tickets/{ticket.pk}/"] + [f"/tickets/{ticket.pk}/report/?step={step}" for step in range(1, 7)]


def wait_until_kept(page: Page) -> None:
    """This page's list is done (the worker answered "kept"), and the server has answered everything."""
    expect(page.locator("body[data-offline-ready]")).to_be_attached(timeout=60_000)
    wait_for_the_servers_requests_to_end()


def cached(page: Page) -> list[str]:
    return page.evaluate(
        """() => caches.open("pages").then(cache => cache.keys()).then(requests =>
             requests.map(request => { const url = new URL(request.url); return url.pathname + url.search; }))"""
    )


def test_opening_my_jobs_again_renders_no_kept_page_again(open_page, people, job, server_requests):
    jobs = [
        job,
        dispatched_call(people, job.unit.product_model, "赵敏", "不制冷"),
        dispatched_call(people, job.unit.product_model, "钱进", "不制冷"),
    ]
    listed = [page for ticket in jobs for page in kept_pages(ticket)] + [MY_VAN]
    tablet = open_page(**TABLET)
    log_in(tablet, "liqiang")  # lands on 我的任务
    tablet.goto(MY_JOBS)  # opened again at once: the first list's fetches may still be under way
    wait_until_kept(tablet)
    # Each page is fetched once although the technician opened none of them, and never twice.
    assert server_requests.of(listed) == dict.fromkeys(listed, 1)

    server_requests.clear()
    tablet.goto(MY_JOBS)
    wait_until_kept(tablet)
    assert server_requests.of([*listed, MY_JOBS]) == {**dict.fromkeys(listed, 0), MY_JOBS: 1}

    # What was kept on the first opening still opens with no network.
    tablet.context.set_offline(True)
    tablet.goto(f"/tickets/{jobs[2].pk}/report/?step=3")
    expect(tablet.locator("h1")).to_have_text("服务报告")
    tablet.goto(MY_JOBS)
    expect(tablet.get_by_test_id(f"job-{jobs[2].number}")).to_contain_text("钱进")


def test_a_check_in_makes_only_that_jobs_pages_fetched_again(open_page, people, job, server_requests):
    """The report steps kept before the check-in offer check-in; kept again after it (a write to the job
    makes its copies stale), they open the report offline. The other job's pages are not fetched."""
    other = dispatched_call(people, job.unit.product_model, "赵敏", "不制冷")
    tablet = open_page(**TABLET)
    log_in(tablet, "liqiang")
    wait_until_kept(tablet)
    server_requests.clear()

    tablet.get_by_test_id(f"check-in-{job.number}").tap()
    expect(tablet.locator("#messages")).to_contain_text("上门处理中")
    wait_until_kept(tablet)
    assert server_requests.of(kept_pages(job)) == dict.fromkeys(kept_pages(job), 1)
    assert server_requests.of(kept_pages(other)) == dict.fromkeys(kept_pages(other), 0)

    tablet.context.set_offline(True)
    tablet.goto(f"/tickets/{job.pk}/report/?step=2")
    expect(tablet.get_by_test_id("report-step-form")).to_be_visible()
    expect(tablet.get_by_test_id("report-needs-check-in")).to_have_count(0)


def test_a_job_given_to_someone_else_leaves_the_tablet_at_the_next_opening_of_my_jobs(open_page, people, job):
    other = dispatched_call(people, job.unit.product_model, "赵敏", "不制冷")
    tablet = open_page(**TABLET)
    log_in(tablet, "liqiang")
    wait_until_kept(tablet)
    assert set(kept_pages(job) + kept_pages(other)) <= set(cached(tablet))

    # A page kept yesterday (the offline pages are today's only) is dropped too.
    tablet.evaluate(
        """() => caches.open("pages").then(cache => cache.put("/parts/my/van/?yesterday", new Response("old",
             {headers: {"X-Kept-At": String(Date.now() - 24 * 3600 * 1000)}})))"""
    )
    colleague = UserFactory(username="zhouming", branch=job.branch, roles=[Role.TECHNICIAN])
    apply_transition(
        ticket_id=other.pk,
        user=people[0],
        name="dispatch",
        expected_version=other.version,
        technician=colleague,
    )
    tablet.goto(MY_JOBS)
    expect(tablet.get_by_test_id(f"job-{other.number}")).to_have_count(0)
    wait_until_kept(tablet)
    kept = cached(tablet)
    assert set(kept_pages(job)) <= set(kept)
    assert not [path for path in kept if path.startswith(f"/tickets/{other.pk}/")]
    assert MY_VAN in kept and f"{MY_VAN}?yesterday" not in kept
