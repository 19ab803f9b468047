"""Long exports through the real machinery (issue #20): the report page's POST records the export and
queues its task, a Celery worker (a separate process, Redis broker, the test's PostgreSQL) builds the
file, the export's page shows the progress going up and then the download, whose content is the report.
The worker writes each row slowly (tests/slow_exports.py) so that the progress can be watched."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from reports.models import Export
from tests.accounts.factories import BranchFactory, UserFactory
from tests.celery_workers import wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def hq_admin(reference_data):
    hq = BranchFactory(code="HQ", name="总部", headquarters=True)
    return UserFactory(username="admin_hq", branch=hq, roles=[Role.ADMIN])


def start(client, fmt: str, key: str, **fields) -> str:
    response = client.post(
        reverse("reports:monthly_export_start"),
        {"fmt": fmt, "month": "2026-10", "idempotency_key": key, **fields},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def percent_shown(client, url: str) -> tuple[str, int]:
    """The state and the percentage the polled partial shows (what htmx swaps into the page)."""
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    state = re.search(r'data-state="(\w+)"', html).group(1)
    return state, int(re.search(r'<progress[^>]* value="(\d+)"', html).group(1)) if state != "failed" else -1


def test_the_monthly_report_is_built_by_a_worker_with_its_progress_shown(
    celery_processes, october, hq_admin, client
):
    celery_processes.env["SLOW_EXPORT_ROW_SECONDS"] = "1.2"
    celery_processes.worker("exports", "-I", "tests.slow_exports")  # no -Q: every queue, as the load stacks
    client.force_login(hq_admin)
    key = str(uuid.uuid4())
    page = start(client, "csv", key)
    assert start(client, "csv", key) == page  # a double tap: the same export, asked for once
    export = Export.objects.get()
    assert page == export.get_absolute_url()
    assert (export.user, export.kind, export.branch, export.parameters["month"]) == (
        hq_admin,
        Export.Kind.MONTHLY_REPORT,
        None,
        "2026-10",
    )
    first = client.get(page)
    assert first.status_code == 200 and 'hx-trigger="every 1s"' in first.content.decode()

    seen = []

    def finished() -> bool:
        state, percent = percent_shown(client, page)
        seen.append((state, percent))
        return state in ("done", "failed")

    wait_for(finished, seconds=120, processes=celery_processes, what="the export")
    assert seen[-1] == ("done", 100), celery_processes.logs()
    # It went up through the states and at least one partial count (1 header + 3 surveys, 1.2 s each).
    states = [state for state, _percent in seen]
    assert "running" in states
    partial = sorted({percent for state, percent in seen if state == "running" and 0 < percent < 100})
    assert partial, seen
    assert [percent for _state, percent in seen] == sorted(percent for _state, percent in seen)

    done = client.get(page).content.decode()
    assert "hx-trigger" not in done  # the polling stops
    download = client.get(reverse("reports:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert 'filename="satisfaction-2026-10-ALL.csv"' in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "工单号" and len(rows) == 1 + 3
    export.refresh_from_db()
    assert (export.progress_done, export.progress_total) == (4, 4)
    assert export.started_at <= export.finished_at


def test_the_branch_xlsx_downloads_for_its_branch_and_nobody_else(
    celery_processes, october, branch_a, branch_b, client
):
    celery_processes.worker("exports")
    shanghai_manager = UserFactory(username="m_sh", branch=branch_a, roles=[Role.MANAGER])
    client.force_login(shanghai_manager)
    page = start(client, "xlsx", str(uuid.uuid4()))  # a branch manager: their own branch
    export = Export.objects.get()
    assert export.branch == branch_a
    wait_for(
        lambda: Export.objects.filter(pk=export.pk, state__in=["done", "failed"]).exists(),
        seconds=120,
        processes=celery_processes,
        what="the export",
    )
    download_url = reverse("reports:export_download", args=[export.pk])
    body = b"".join(client.get(download_url).streaming_content)
    book = load_workbook(io.BytesIO(body), read_only=True)
    listing = list(book["调查明细"].iter_rows(values_only=True))
    assert {row[1] for row in listing[1:]} == {"上海分公司"}

    # Another manager of the same branch may open it; Hangzhou's manager and a Shanghai supervisor may not.
    colleague = UserFactory(username="m_sh2", branch=branch_a, roles=[Role.MANAGER])
    outsider = UserFactory(username="m_hz", branch=branch_b, roles=[Role.MANAGER])
    supervisor = UserFactory(username="s_sh", branch=branch_a, roles=[Role.SUPERVISOR])
    client.force_login(colleague)
    assert client.get(page).status_code == 200 and client.get(download_url).status_code == 200
    for user in (outsider, supervisor):
        client.force_login(user)
        assert client.get(page).status_code == 404
        assert client.get(download_url).status_code == 404
        assert page not in client.get(reverse("reports:exports")).content.decode()  # not in 我的导出
