"""An admin finds a failed sign-in in 审计日志 from the header menu, filters it, downloads it; in English at
1024 px the page fits the screen."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import BranchFactory, UserFactory
from tests.browser.support import assert_no_horizontal_scroll, log_in, switch_language

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
    page.get_by_label("类别").select_option("auth")
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
    assert all(row[5].startswith("auth.") for row in rows[1:])  # the filter went with the download

    switch_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.get_by_test_id("audit-log")).to_contain_text("Sign-in failed")
    assert_no_horizontal_scroll(page)
