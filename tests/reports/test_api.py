"""The KPI figures and the monthly report over the API (issue #22): the same figures as the dashboard and
the monthly page for the same month and user, the same scope and permissions, the same downloads."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from tests.accounts.factories import BranchFactory
from tickets.templatetags.ticket_tags import yuan

pytestmark = pytest.mark.django_db
OCTOBER = {"month": "2026-10"}


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user)[1]}")
    return client


def page_table(html: str, key: str) -> list[list[str]]:
    """The dashboard's table `key` (branch, technician, product_model) as the cells' texts per row."""
    table = html.split(f'data-testid="kpi-table-{key}"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def as_page_shows(row: dict, key: str) -> list[str]:
    """An API row written the way the dashboard's table `key` writes it (a technician's 完工 counts the
    two-person jobs they helped on)."""

    def rate(value, detail):
        return f"{'—' if value is None else value + '%'} ({detail})"

    def finished(row):
        return f"{row['attended']} (含协助 {row['helped']})" if row["helped"] else str(row["attended"])

    return [
        row["name"],
        *(str(row["volume"][category]) for category in "ABCD"),
        str(row["reported"]),
        rate(row["timeliness"], f"{row['arrivals_in_time']}/{row['arrivals']}"),
        rate(row["satisfaction"], row["surveys"]),
        finished(row) if key == "technician" else str(row["finished"]),
        rate(row["complaint_rate"], f"{row['complaints']}/{row['finished']}"),
        yuan(row["warranty_cost"]),
    ]


@pytest.mark.parametrize("headquarters", [False, True], ids=["branch manager", "general manager"])
def test_the_kpis_are_the_figures_the_dashboard_shows(client, persona, october, headquarters):
    if headquarters:
        user = persona(Role.GENERAL_MANAGER, branch=BranchFactory(code="HQ", name="总部", headquarters=True))
    else:
        user = persona(Role.MANAGER)
    client.force_login(user)
    html = client.get(reverse("reports:dashboard"), OCTOBER).content.decode()
    response = api_for(user).get("/api/v1/kpis", OCTOBER)
    assert response.status_code == 200
    figures = response.json()
    assert figures["month"] == "2026-10"
    assert figures["branch"] == (
        None if headquarters else {"id": user.branch_id, "code": "SH", "name": "上海分公司"}
    )
    for key, rows in (
        ("branch", figures["by_branch"]),
        ("technician", figures["by_technician"]),
        ("product_model", figures["by_product_model"]),
    ):
        assert rows, key
        assert [as_page_shows(row, key) for row in rows] == page_table(html, key)
    names = [row["name"] for row in figures["by_branch"]]
    assert names == (["上海分公司", "杭州服务站"] if headquarters else ["上海分公司"])
    # The cards: each targeted KPI of the whole scope, with its part and whole.
    summary = figures["summary"]
    for key, part, whole in (
        ("timeliness", "arrivals_in_time", "arrivals"),
        ("satisfaction", "satisfied_answers", "answers"),
        ("complaint_rate", "complaints", "finished"),
    ):
        card = html.split(f'data-testid="kpi-{key}"')[1].split("</div></div></div>")[0]
        value = "—" if summary[key] is None else f"{summary[key]} %"
        assert value in card and f"{summary[part]} / {summary[whole]}" in card
        assert ("未达标" in card) == (summary["meets"][key] is False)
    warranty = html.split('data-testid="kpi-warranty"')[1].split("</div></div></div>")[0]
    assert yuan(summary["warranty_cost"]) in warranty
    assert [target["text"] for target in figures["targets"]] == ["≥ 90 %", "≥ 85 %", "< 3 %"]
    assert len(figures["trend"]) == 12 and figures["trend"][-1]["month"] == "2026-10"
    assert figures["trend"][-1]["reported"] == summary["reported"]


def test_the_kpis_keep_the_dashboards_scope_and_readers(persona, october, branch_b):
    supervisor = api_for(persona(Role.SUPERVISOR))  # Shanghai
    asked_for_hangzhou = supervisor.get("/api/v1/kpis", {**OCTOBER, "branch": branch_b.pk}).json()
    assert asked_for_hangzhou["branch"]["code"] == "SH"
    assert [row["name"] for row in asked_for_hangzhou["by_branch"]] == ["上海分公司"]
    gm = api_for(persona(Role.GENERAL_MANAGER, branch=BranchFactory(code="HQ", headquarters=True)))
    picked = gm.get("/api/v1/kpis", {**OCTOBER, "branch": branch_b.pk}).json()
    assert picked["branch"]["code"] == "HZ" and [row["name"] for row in picked["by_technician"]] == ["赵三"]
    for role in (Role.TECHNICIAN, Role.DISPATCHER, Role.WAREHOUSE, Role.FINANCE):
        refused = api_for(persona(role)).get("/api/v1/kpis")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
        assert "只有服务主任、经理、总经理和系统管理员可以查看统计报表" in refused.json()["message"]
    bad = supervisor.get("/api/v1/kpis", {"month": "2026-13"})
    assert bad.status_code == 400 and bad.json()["field"] == "month"
    assert "2026-10" in bad.json()["message"]  # the page's message: 月份格式应为 年-月,例如 2026-10。


def test_the_monthly_report_figures_are_the_monthly_pages(client, persona, october):
    admin = persona(Role.ADMIN)
    client.force_login(admin)
    html = client.get(reverse("reports:monthly"), OCTOBER).content.decode()
    api = api_for(admin)
    report = api.get("/api/v1/monthly-report", OCTOBER).json()
    kpis = api.get("/api/v1/kpis", OCTOBER).json()
    assert {key: report[key] for key in kpis} == kpis  # the dashboard's figures, the same computation
    headlines = {headline["key"]: headline for headline in report["headlines"]}
    assert set(headlines) == {
        "timeliness",
        "satisfaction",
        "complaint_rate",
        "reported",
        "surveys",
        "warranty_cost",
    }
    assert headlines["reported"]["value"] == str(report["summary"]["reported"])
    assert headlines["timeliness"]["target"] == "≥ 90 %" and headlines["reported"]["target"] is None
    # The findings, as the page lists them: praised and what went wrong, with ticket numbers.
    praised = report["findings"]["praised"]["items"]
    problems = [item for group in report["findings"]["problems"] for item in group["items"]]
    assert any(item["text"] == "师傅很专业" for item in praised) and "师傅很专业" in html
    assert any(item["ticket"] == "SH-20261005-0001" and item["level"] == "不满意" for item in problems)
    assert "SH-20261005-0001" in html
    # Only those who may export the report read it.
    refused = api_for(persona(Role.SUPERVISOR)).get("/api/v1/monthly-report")
    assert refused.status_code == 403 and "月度满意度报告" in refused.json()["message"]


def test_the_monthly_downloads_are_the_pages_files(client, persona, october):
    manager = persona(Role.MANAGER)
    client.force_login(manager)
    api = api_for(manager)
    for fmt, starts in (("csv", "工单号".encode()), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        got = api.get(f"/api/v1/monthly-report/{fmt}", OCTOBER)
        assert got.status_code == 200, (fmt, got.status_code)
        body = b"".join(got.streaming_content) if got.streaming else got.content
        assert body.lstrip(b"\xef\xbb\xbf").startswith(starts)
        assert got["Content-Disposition"] == f'attachment; filename="satisfaction-2026-10-SH.{fmt}"'
        if fmt == "csv":  # the same file as the page's button
            page = client.get(reverse("reports:monthly_export", args=[fmt]), OCTOBER)
            assert b"".join(page.streaming_content) == body
            surveys = api.get("/api/v1/kpis", OCTOBER).json()["summary"]["surveys"]
            assert surveys and body.decode("utf-8-sig").count("\n") == 1 + surveys  # a header, a line each
    assert api.get("/api/v1/monthly-report/pdf", {"month": "October"}).json()["field"] == "month"
    assert api_for(persona(Role.SUPERVISOR)).get("/api/v1/monthly-report/xlsx").status_code == 403
