"""The printable reports as A4 PDFs (WeasyPrint through `tickets.documents.render_pdf`, CJK font, the
company header of every form). The monthly report carries the same SVG charts as the dashboard."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from reports.charts import dashboard_charts
from reports.daily import BranchDay, TechnicianDay
from reports.findings import Findings
from reports.kpis import Dashboard
from tickets.documents import render_pdf
from tickets.models import ServiceCategory


def monthly_pdf(board: Dashboard, findings: Findings, *, branch_name: str) -> bytes:
    """A report a general manager reads (issue #16): page 1 the month at a glance (headline figures
    against last month and target, the findings counted), then the charts at one width and scale, two
    or three to a page, then the tables and the findings. The layout is CSS paged media
    (reports/pdf/monthly.html)."""
    charts, headlines = dashboard_charts(board), board.headlines
    return render_pdf(
        "reports/pdf/monthly.html",
        {
            "board": board,
            "findings": findings,
            "branch_name": branch_name,
            "headlines": headlines,
            "chart_sections": _chart_sections(board, charts),
            "volume_chart": charts["volume_by_category"],
            "categories": ServiceCategory.choices,
            "printed_at": timezone.now(),
        },
    )


def _chart_sections(board: Dashboard, charts: dict) -> list[tuple[str, list]]:
    """(heading, charts) in reading order; the comparison of branches only when there are several."""
    sections = [
        (
            _("近12个月趋势"),
            [charts["trend_timeliness"], charts["trend_satisfaction"], charts["trend_complaints"]],
        ),
    ]
    if len(board.tables["branch"]) > 1:
        sections.append(
            (
                _("按网点"),
                [
                    charts["timeliness_by_branch"],
                    charts["satisfaction_by_branch"],
                    charts["complaints_by_branch"],
                ],
            )
        )
    sections.append(
        (_("按技术员"), [charts["timeliness_by_technician"], charts["satisfaction_by_technician"]])
    )
    return sections


def technician_day_pdf(report: TechnicianDay) -> bytes:
    return render_pdf(
        "reports/pdf/technician_daily.html",
        {"report": report, "printed_at": timezone.now()},
    )


def branch_day_pdf(report: BranchDay) -> bytes:
    return render_pdf(
        "reports/pdf/branch_daily.html",
        {"report": report, "printed_at": timezone.now()},
    )
