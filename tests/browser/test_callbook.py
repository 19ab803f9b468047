"""The admin moves a department's call book in (issue #21 item 3): uploads a GBK csv with a mistake, reads
the dry run's error by row and column, uploads a generated call book of 100,000 rows (the acceptance's
size), confirms the import, watches the progress bar move and reach done, and undoes the batch after
confirming.

The tasks run on a Celery worker in this process (celery.contrib.testing) on the app's own broker, so
the page really polls while the worker imports."""

from __future__ import annotations

import re
import time

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from accounts.models import Role
from aftersales.celery import app
from customers.models import Customer, ImportBatch
from loadtest.callbook import as_csv, generate_rows
from tests.accounts.factories import BranchFactory, UserFactory
from tests.browser.support import log_in
from tests.conftest import require
from tickets.models import RepairTicket

pytestmark = pytest.mark.browser

ROWS = 100_000


@pytest.fixture
def worker(transactional_db):
    require(str(app.conf.broker_url).startswith("redis://"), "a Redis broker: CELERY_BROKER_URL=redis://…")
    app.control.purge()  # what other tests left queued on the shared broker is not this test's work
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def test_the_admin_imports_a_call_book_watches_it_finish_and_undoes_it(
    open_page, worker, reference_data, branch_a, air_conditioner, tmp_path
):
    headquarters = BranchFactory(code="HQ", name="总部", headquarters=True)
    UserFactory(username="boss", last_name="周", first_name="总", branch=headquarters, roles=[Role.ADMIN])
    wrong = list(generate_rows(20, model_code="KFR-35GW"))
    wrong[12][wrong[0].index("购买日期")] = "去年春天"
    (tmp_path / "wrong.csv").write_bytes(as_csv(wrong, "gbk"))
    (tmp_path / "book.csv").write_bytes(as_csv(generate_rows(ROWS, model_code="KFR-35GW"), "gbk"))

    page = open_page()
    log_in(page, "boss")
    page.get_by_test_id("nav-admin").click()  # the header's 系统管理 menu
    page.get_by_role("link", name="导入历史数据").click()
    page.get_by_label("叫修登记簿文件(xlsx 或 csv)").set_input_files(str(tmp_path / "wrong.csv"))
    page.get_by_label("默认服务网点").select_option(label=str(branch_a))
    page.get_by_role("button", name="上传并试导入").click()
    status = page.get_by_test_id("callbook-status")
    expect(status).to_have_attribute("data-state", "rejected", timeout=60_000)
    errors = page.get_by_test_id("callbook-errors")
    expect(errors).to_contain_text("行 13")
    expect(errors).to_contain_text("「购买日期」")
    expect(errors).to_contain_text("日期格式无法识别:「去年春天」")
    assert not Customer.objects.exists()

    page.get_by_role("link", name="← 导入历史数据").click()
    page.get_by_label("叫修登记簿文件(xlsx 或 csv)").set_input_files(str(tmp_path / "book.csv"))
    page.get_by_label("默认服务网点").select_option(label=str(branch_a))
    page.get_by_role("button", name="上传并试导入").click()
    expect(status).to_have_attribute("data-state", "checked", timeout=180_000)
    expect(page.get_by_test_id("callbook-counts")).to_contain_text(str(ROWS))
    assert not RepairTicket.objects.exists()

    page.get_by_test_id("callbook-run").click()
    progress = page.get_by_test_id("callbook-progress")
    expect(page.get_by_test_id("callbook-state")).to_have_text(re.compile("导入中|已导入"))
    seen = set()  # what the bar showed while the page polled
    deadline = time.monotonic() + 300
    while status.get_attribute("data-state") != "done" and time.monotonic() < deadline:
        seen.add(int(progress.get_attribute("value")))
        page.wait_for_timeout(250)
    expect(status).to_have_attribute("data-state", "done")
    expect(progress).to_have_attribute("value", "100")
    assert any(0 < value < 100 for value in seen), seen
    expect(status).to_contain_text("导入完成")
    assert RepairTicket.objects.filter(import_batch__isnull=False).count() == ROWS

    page.get_by_test_id("callbook-undo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("撤销导入批次")
    page.get_by_test_id("callbook-undo-confirm").click()
    expect(status).to_have_attribute("data-state", "undone", timeout=180_000)
    expect(status).to_contain_text("导入的数据已删除")
    assert not RepairTicket.objects.exists() and not Customer.objects.exists()
    assert ImportBatch.objects.filter(state=ImportBatch.State.UNDONE).count() == 1
