"""An admin opens the monthly satisfaction report from the menu, picks the month and exports the three
files (xlsx, csv, PDF), each built by a worker behind a progress bar; a supervisor reads the KPI dashboard with the KPIs below target in red."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import BranchFactory, UserFactory
from tests.browser.support import log_in
from tests.celery_workers import BROKER, wait_for_workers
from tests.reports.factories import october_data

pytestmark = pytest.mark.browser


@pytest.fixture
def october(reference_data, branch_a, branch_b):
    clerk = UserFactory(username="clerk", branch=branch_a, roles=[Role.DISPATCHER])
    return october_data(branch_a=branch_a, branch_b=branch_b, clerk=clerk)


def test_an_admin_exports_the_monthly_report_as_three_files(open_page, october, celery_processes, tmp_path):
    """Each file is built by a real Celery worker (rows written slowly: tests/slow_exports.py), while the
    export's page shows the bar; the download appears when it is done."""
    celery_processes.env["SLOW_EXPORT_ROW_SECONDS"] = "0.5"
    celery_processes.worker("exports", "-Q", "reports", "-I", "tests.slow_exports")
    wait_for_workers(["exports"], BROKER, celery_processes)
    hq = BranchFactory(code="HQ", name="总部", headquarters=True)
    UserFactory(username="boss", last_name="周", first_name="总", branch=hq, roles=[Role.ADMIN])
    page = open_page()
    log_in(page, "boss")
    page.get_by_role("button", name="统计报表").click()
    page.get_by_role("link", name="月度满意度报告").click()
    expect(page).to_have_url(re.compile(r"/reports/monthly/$"))
    page.get_by_label("月份").fill("2026-10")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("月度满意度报告 · 2026-10")
    expect(page.get_by_test_id("kpi-timeliness")).to_contain_text("75.0 %")
    expect(page.get_by_test_id("findings")).to_contain_text("师傅很专业")
    report_page = page.url

    files = {}
    for fmt in ("xlsx", "csv", "pdf"):
        page.goto(report_page)
        page.get_by_test_id(f"export-{fmt}").click()
        expect(page).to_have_url(re.compile(r"/reports/exports/\d+/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("月度满意度报告 · 2026-10")
        expect(page.get_by_test_id("export-bar")).to_be_visible()
        if fmt == "xlsx":  # 1 header + 3 surveys at half a second each: the bar is seen moving
            expect(page.get_by_test_id("export-state")).to_contain_text("正在生成", timeout=60_000)
        link = page.get_by_test_id("export-download")
        expect(link).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("export-percent")).to_have_text("100%")
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.failure() is None
        assert download.suggested_filename == f"satisfaction-2026-10-ALL.{fmt}"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        files[fmt] = target.read_bytes()

    book = load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    assert "调查明细" in book.sheetnames
    assert len(list(book["调查明细"].iter_rows())) == 4
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0][0] == "工单号" and len(rows) == 4
    assert files["pdf"].startswith(b"%PDF")
    page.goto("/reports/exports/")
    expect(page.get_by_test_id("exports").locator("tbody tr")).to_have_count(3)


def test_a_supervisor_sees_the_kpis_below_target_in_red(open_page, october, branch_a):
    UserFactory(username="zhuren", branch=branch_a, roles=[Role.SUPERVISOR])
    page = open_page()
    log_in(page, "zhuren")
    page.goto("/reports/?month=2026-10")
    card = page.get_by_test_id("kpi-timeliness")
    expect(card).to_contain_text("66.7 %")
    expect(card).to_contain_text("未达标")
    expect(card.locator(".text-danger").first).to_have_css("color", "rgb(220, 53, 69)")
    expect(page.get_by_test_id("kpi-table-technician")).to_contain_text("陈二")
    expect(page.locator("svg.kpi-chart").first).to_be_visible()
