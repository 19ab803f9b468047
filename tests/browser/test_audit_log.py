"""An admin finds a failed sign-in in 审计日志 from the header menu, filters it, downloads it; in English at
1024 px the page fits the screen."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from audit.services import record
from tests.accounts.factories import BranchFactory, UserFactory
from tests.browser.support import assert_no_horizontal_scroll, log_in, switch_language
from tests.browser.test_header import assert_header_on_one_line

pytestmark = pytest.mark.browser


def test_an_admin_finds_a_failed_sign_in_and_downloads_it(open_page, reference_data, branch_a, tmp_path):
    hq = BranchFactory(code="HQ", name="总部", headquarters=True)
    UserFactory(username="it_admin", last_name="周", first_name="管", branch=hq, roles=[Role.ADMIN])
    UserFactory(username="kefu", branch=branch_a, roles=[Role.DISPATCHER])
    page = open_page(viewport={"width": 1024, "height": 768})
    page.goto("/login/")
    page.get_by_label("用户名").fill("kefu")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".alert, .errorlist").first).to_be_visible()

    log_in(page, "it_admin")
    page.get_by_test_id("nav-admin").click()  # the header's 系统管理 menu
    page.get_by_role("link", name="审计日志").click()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    page.get_by_label("类别").select_option("login")
    page.get_by_role("button", name="筛选").click()
    table = page.get_by_test_id("audit-log")
    failed = table.locator("tr", has_text="登录失败")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("kefu")
    expect(table.locator("tr", has_text="登录成功").first).to_contain_text("周管 (it_admin)")

    with page.expect_download() as info:
        page.get_by_test_id("audit-csv").click()
    download = info.value
    assert download.failure() is None and download.suggested_filename.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:2] == ["时间", "操作人"]
    assert any(row[5] == "auth.login_failed" and row[1] == "kefu" for row in rows[1:])
    assert {row[5] for row in rows[1:]} == {"auth.login", "auth.login_failed"}  # the filter went with it

    switch_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.get_by_test_id("audit-log")).to_contain_text("Sign-in failed")
    assert_no_horizontal_scroll(page)


# For each filter of the bar and each column heading: its top and how many lines its text takes.
BOXES_JS = """selector => [...document.querySelectorAll(selector)].map(element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  return {text: element.textContent.trim(), top: Math.round(element.getBoundingClientRect().top), lines: tops.size};
})"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_at_1024_px_the_header_the_filters_and_the_headings_stay_on_one_line(
    open_page, reference_data, language
):
    hq = BranchFactory(code="HQ", name="上海浦东新区张江高科技园区服务中心", headquarters=True)
    admin = UserFactory(
        username="it_admin",
        last_name="欧阳",
        first_name="晓明明明",
        branch=hq,
        roles=[Role.ADMIN],
        is_staff=True,
    )
    record(None, "auth.groups_changed", admin, {"added": ["supervisor", "finance", "warehouse"]})
    page = open_page(viewport={"width": 1024, "height": 768})
    log_in(page, "it_admin")
    switch_language(page, language)
    page.goto("/audit/")
    where = f"audit log, {language}, 1024 px"
    assert_header_on_one_line(page, where)
    assert page.get_by_test_id("audit-heading").bounding_box()["height"] <= 64, where
    filters = page.evaluate(BOXES_JS, "[data-testid=audit-filters] > div")
    assert len(filters) == 7 and len({box["top"] for box in filters}) == 1, f"{where}: {filters}"
    labels = page.evaluate(BOXES_JS, "[data-testid=audit-filters] label")
    headings = page.evaluate(BOXES_JS, "[data-testid=audit-log] th")
    wrapped = [box for box in labels + headings if box["lines"] > 1]
    assert not wrapped, f"{where}: over more than one line: {wrapped}"
    expected = (
        "新增: 服务主任、会计、库管" if language == "zh-hans" else "Added: Service supervisor, Finance,"
    )
    expect(page.get_by_test_id("audit-details").filter(has_text=expected)).to_have_count(1)
    assert_no_horizontal_scroll(page)
