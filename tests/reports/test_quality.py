"""Quality analytics (issue #18 item 7) against hand-computed values on a small October data set."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from reports.charts import pareto_chart
from reports.kpis import Scope
from reports.models import QualityMonth
from reports.periods import Month
from reports.quality import count_field_units, quality_report, summarise
from reports.tasks import summarise_quality_months
from tests.customers.factories import UnitFactory
from tests.reports.factories import local
from tests.reports.quality_data import ticket

pytestmark = pytest.mark.django_db
SEPTEMBER, OCTOBER = Month(2026, 9), Month(2026, 10)


@pytest.fixture(params=["counted live", "stored month"])
def figures(request, quality_october):
    if request.param == "stored month":
        summarise(OCTOBER)
        summarise(SEPTEMBER)
    return quality_october


def counts(row):
    return (row.reported, row.failures, row.repeats_30, row.repeats_90, row.completed, row.first_time_fixes)


def test_the_months_totals(figures):
    summary = quality_report(Scope(OCTOBER)).summary
    assert counts(summary) == (7, 6, 1, 2, 3, 1)
    assert summary.repair_hours == Decimal("10.00")
    assert summary.first_time_fix_rate == Decimal("33.3")
    assert summary.repeat_rate_30 == Decimal("14.3") and summary.repeat_rate_90 == Decimal("28.6")
    assert summary.mean_time_to_repair == Decimal("3.3")
    assert summary.units == 11


def test_failures_per_thousand_units_by_model_and_batch(figures):
    report = quality_report(Scope(OCTOBER))
    by_model = {
        row.name: (row.reported, row.failures, row.units, row.failures_per_thousand)
        for row in report.by_model
    }
    assert by_model == {
        "空调 KFR-35": (6, 5, 7, Decimal("714.29")),
        "柜机 KFR-50": (1, 1, 4, Decimal("250.00")),
    }
    assert [row.name for row in report.by_model] == ["空调 KFR-35", "柜机 KFR-50"]  # Pareto order
    by_batch = {
        row.name: (row.reported, row.failures, row.units, row.failures_per_thousand)
        for row in report.by_batch
    }
    assert by_batch == {
        "空调 KFR-35 · B1": (4, 4, 3, Decimal("1333.33")),
        "空调 KFR-35 · B2": (2, 1, 4, Decimal("250.00")),
        "柜机 KFR-50 · 未填批次": (1, 1, 4, Decimal("250.00")),
    }


def test_per_fault_code_in_pareto_order(figures):
    rows = quality_report(Scope(OCTOBER)).by_fault_code
    assert [(row.name, row.reported, row.failures) for row in rows] == [
        ("E1 停机", 3, 3),
        ("无故障代码", 3, 2),
        ("E2 漏水", 1, 1),
    ]
    e1 = rows[0]
    assert (e1.repeats_30, e1.completed, e1.first_time_fixes, e1.mean_time_to_repair) == (
        1,
        1,
        1,
        Decimal("2.0"),
    )


def test_parts_and_suppliers(figures):
    report = quality_report(Scope(OCTOBER))
    assert [(p.code, p.supplier, p.quantity, p.tickets) for p in report.by_part] == [
        ("P-CAP", "甲电器", 3, 2),
        ("P-FAN", "乙电机", 1, 1),
    ]
    assert [(s.supplier, s.quantity, s.tickets) for s in report.by_supplier] == [
        ("甲电器", 3, 2),
        ("乙电机", 1, 1),
    ]


def test_one_branch(figures, branch_a):
    report = quality_report(Scope(OCTOBER, branch_a))
    assert counts(report.summary) == (6, 5, 1, 2, 3, 1)
    assert {row.name: row.units for row in report.by_model} == {"空调 KFR-35": 6, "柜机 KFR-50": 4}
    assert [(p.code, p.quantity) for p in report.by_part] == [("P-CAP", 3), ("P-FAN", 1)]


def test_the_twelve_month_trend(figures):
    months = quality_report(Scope(OCTOBER)).months
    assert [row.name for row in months][:2] == ["2025-11", "12"] and months[2].name == "2026-01"
    by_name = {row.name: row for row in months}
    assert counts(by_name["09"]) == (1, 1, 0, 0, 1, 1) and by_name["09"].mean_time_to_repair == Decimal("1.0")
    assert counts(by_name["10"]) == (7, 6, 1, 2, 3, 1)
    assert by_name["07"].reported == 1 and by_name["07"].completed == 1
    assert sum(row.reported for row in months) == 9


def test_a_stored_month_equals_the_counted_one_and_the_task_is_safe_twice(quality_october):
    live = counts(quality_report(Scope(OCTOBER)).summary)
    summarise_quality_months()
    cells = QualityMonth.objects.count()
    summarise_quality_months()
    assert QualityMonth.objects.count() == cells
    summarise(OCTOBER)
    assert counts(quality_report(Scope(OCTOBER)).summary) == live


def test_a_pareto_chart_draws_the_largest_first_and_the_cumulative_share():
    svg = str(pareto_chart([("B", 1), ("A", 3), ("<C>", 1)], title="故障"))
    assert svg.index(">A<") < svg.index(">B<") and "&lt;C&gt;" in svg and "<script" not in svg
    assert "100%</text>" in svg and "<polyline" in svg


class TestPage:
    def test_managers_read_the_figures_and_drill_down_to_the_tickets(
        self, client, quality_october, persona, headquarters
    ):
        gm = persona(Role.GENERAL_MANAGER, branch=headquarters)
        client.force_login(gm)
        page = client.get(reverse("reports:quality"), {"month": "2026-10"}).content.decode()
        assert re.search(r'data-testid="card-failures">6<', page)
        assert re.search(r'data-testid="card-ftf">33.3%<', page)
        assert re.search(r'data-testid="card-mttr">3.3<', page)
        assert '<td class="text-end">714.29</td>' in page and '<td class="text-end">1333.33</td>' in page
        model = quality_october[1].unit.product_model
        link = re.search(
            rf'href="(/tickets/\?month=2026-10&amp;product_model={model.pk}&amp;batch=B1&amp;failures=on)"',
            page,
        )
        listed = client.get(link[1].replace("&amp;", "&")).content.decode()
        numbers = set(re.findall(r"T-\d{6}", listed))
        assert numbers == {quality_october[n].number for n in (1, 2, 5, 7)}
        assert 'data-testid="drill-down"' in listed

    def test_the_query_count_does_not_grow_with_the_tickets(
        self, client, quality_october, persona, headquarters
    ):
        client.force_login(persona(Role.GENERAL_MANAGER, branch=headquarters))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as first:
            assert client.get(reverse("reports:quality"), {"month": "2026-10"}).status_code == 200
        unit = quality_october[1].unit
        for day in (12, 13, 14, 15, 16):
            ticket(
                unit,
                code=quality_october[1].fault_code,
                reported=local(2026, 10, day, 9),
                completed=local(2026, 10, day, 15),
            )
        with CaptureQueriesContext(connection) as second:
            page = client.get(reverse("reports:quality"), {"month": "2026-10"}).content.decode()
        assert re.search(r'data-testid="card-failures">11<', page)
        assert len(second) == len(first)

    def test_who_may_open_it(self, client, persona):
        for role, status in (
            (Role.SUPERVISOR, 200),
            (Role.MANAGER, 200),
            (Role.TECHNICIAN, 403),
            (Role.DISPATCHER, 403),
        ):
            client.force_login(persona(role))
            assert client.get(reverse("reports:quality")).status_code == status, role


def test_units_in_the_field_are_read_from_the_counts_the_task_stores(figures):
    assert count_field_units() == 4  # SH: B1, B2, KFR-50 without batch; HZ: B1
    per_model = {row.name: row.units for row in quality_report(Scope(OCTOBER)).by_model}
    assert per_model == {"空调 KFR-35": 7, "柜机 KFR-50": 4}
    model = quality_report(Scope(OCTOBER)).by_model[0]
    UnitFactory(product_model_id=model.key, batch="B1")  # registered after the count: in the next one
    assert quality_report(Scope(OCTOBER)).by_model[0].units == 7
    count_field_units()
    assert quality_report(Scope(OCTOBER)).by_model[0].units == 8


def _month_counts(captured, month: Month) -> int:
    """The queries that counted `month`'s reported tickets (the grouped count with the repeats)."""
    start = f"\"reported_at\" >= '{month.start.isoformat()}'"
    return sum(1 for query in captured if 'AS "repeats_30"' in query["sql"] and start in query["sql"])


def test_a_page_or_a_workbook_counts_its_month_once(postgres, client, quality_october, persona, headquarters):
    """Nothing stored yet (the first hour after installation): the month shown is counted once, not
    again for its place in the trend or in the workbook's three-month columns."""
    client.force_login(persona(Role.GENERAL_MANAGER, branch=headquarters))
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("reports:quality"), {"month": "2026-10"}).status_code == 200
    assert _month_counts(page, OCTOBER) == 1
    with CaptureQueriesContext(connection) as workbook:
        response = client.get(reverse("reports:quality_export", args=["xlsx"]), {"month": "2026-10"})
        b"".join(response.streaming_content)
    assert _month_counts(workbook, OCTOBER) == 1
    assert _month_counts(workbook, SEPTEMBER) == 2  # in the trend, and per fault code for its column
