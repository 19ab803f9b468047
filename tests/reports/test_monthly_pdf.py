"""The monthly satisfaction report's PDF reads as a report (issue #16): page 1 is the month at a glance,
the charts share pages, no page is left nearly empty. It was nine A4 pages, mostly blank, one small
chart per page at random offsets. Read back with pypdf, page by page."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from tests.accounts.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db

# A page holding less text than this (charts carry their titles, labels and values as text) is a
# page a reader turns over for nothing.
NEARLY_EMPTY = 150


@pytest.fixture
def pages(client, october) -> list[str]:
    hq = BranchFactory(code="HQ", name="总部", headquarters=True)
    client.force_login(UserFactory(username="gm_hq", branch=hq, roles=[Role.GENERAL_MANAGER]))
    response = client.get(reverse("reports:monthly_export", args=["pdf"]), {"month": "2026-10"})
    assert response.status_code == 200
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def test_the_first_page_is_the_summary_with_the_change_against_last_month(pages):
    first = pages[0]
    for expected in (
        "月度满意度报告",
        "2026-10",
        "全部网点",
        "本月概况",
        "与上月比较",
        "指标与计算",
        "回访发现",
    ):
        assert expected in first, expected
    # Headline figures of the October data set (tests/reports/factories.py), with their verdict.
    assert "75.0 %" in first and "83.3 %" in first and "未达标" in first
    assert "¥821.00" in first
    # September has no calls: the counts compare (4 calls against none), the rates say there is nothing.
    assert "较上月 +4" in first
    assert "上月无可比数据" in first
    # The charts over time and the tables come after the summary.
    assert "及时率(近12个月)" not in first
    assert "及时率(近12个月)" in pages[1]


def test_the_charts_share_pages_and_no_page_is_nearly_empty(pages):
    assert 2 <= len(pages) <= 5, len(pages)
    chart_titles = (
        "及时率(近12个月)",
        "满意率(近12个月)",
        "服务责任投诉率(近12个月)",
        "及时率(按网点)",
        "满意率(按网点)",
        "服务责任投诉率(按网点)",
        "及时率(按技术员)",
        "满意率(按技术员)",
    )
    pages_with_charts = {index for index, text in enumerate(pages) for title in chart_titles if title in text}
    assert all(any(title in text for text in pages) for title in chart_titles)
    # Eight charts on at most three pages: two or three to a page, not one per page.
    assert len(pages_with_charts) <= 3, pages_with_charts
    short = {index + 1: len(text) for index, text in enumerate(pages) if len(text.strip()) < NEARLY_EMPTY}
    assert not short, f"nearly empty pages (page: characters): {short}"
    assert "审核" in pages[-1]  # the report ends with the definitions and the signatures
