"""The printable reports as A4 PDFs (WeasyPrint through `tickets.documents.render_pdf`, CJK font, the
company header of every form). The monthly report carries the same SVG charts as the dashboard."""

from __future__ import annotations

from django.utils import timezone

from reports.charts import dashboard_charts
from reports.daily import BranchDay, TechnicianDay
from reports.findings import Findings
from reports.kpis import Dashboard
from tickets.documents import render_pdf
from tickets.models import ServiceCategory


def monthly_pdf(board: Dashboard, findings: Findings, *, branch_name: str) -> bytes:
    return render_pdf(
        "reports/pdf/monthly.html",
        {
            "board": board,
            "findings": findings,
            "branch_name": branch_name,
            "charts": dashboard_charts(board),
            "categories": ServiceCategory.choices,
            "printed_at": timezone.now(),
        },
    )


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
