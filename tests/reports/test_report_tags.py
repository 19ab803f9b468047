"""The KPI tables' rows written in Python (`kpi_table_rows`): the same markup as the template loop they
replace, for any figures, in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.kpis import DIMENSIONS, TECHNICIAN, KpiRow
from surveys.scoring import Tally

# The rows as reports/_kpi_table.html wrote them before `kpi_table_rows`.
ROWS_TEMPLATE = """{% load i18n ticket_tags %}  {% for row, marks in table.rows %}
  <tr>
    <td>{{ row.name }}</td>{% for count in row.volumes %}<td class="text-end">{{ count }}</td>{% endfor %}<td class="text-end">{{ row.reported }}</td>
    <td class="text-end{% if marks.timeliness is False %} below-target text-danger fw-bold{% endif %}">{% if row.timeliness is None %}—{% else %}{{ row.timeliness }}%{% endif %} <span class="text-muted small">({{ row.arrivals_in_time }}/{{ row.arrivals }})</span></td>
    <td class="text-end{% if marks.satisfaction is False %} below-target text-danger fw-bold{% endif %}">{% if row.satisfaction is None %}—{% else %}{{ row.satisfaction }}%{% endif %} <span class="text-muted small">({{ row.surveys }})</span></td>
    <td class="text-end" data-testid="attended">{% if table.dimension.key == "technician" %}{{ row.attended }}{% if row.helped %} <span class="text-muted small">{% blocktrans with n=row.helped %}(含协助 {{ n }}){% endblocktrans %}</span>{% endif %}{% else %}{{ row.finished }}{% endif %}</td>
    <td class="text-end{% if marks.complaint_rate is False %} below-target text-danger fw-bold{% endif %}">{% if row.complaint_rate is None %}—{% else %}{{ row.complaint_rate }}%{% endif %} <span class="text-muted small">({{ row.complaints }}/{{ row.finished }})</span></td>
    <td class="text-end">{{ row.warranty_cost|yuan }}</td>
  </tr>
  {% endfor %}"""

counts = st.integers(min_value=0, max_value=10**7)
money = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False)
marks = st.fixed_dictionaries(
    {key: st.sampled_from([True, False, None]) for key in ("timeliness", "satisfaction", "complaint_rate")}
)


@st.composite
def kpi_rows(draw) -> tuple[KpiRow, dict]:
    arrivals, answers, finished = draw(counts), draw(counts), draw(counts)
    row = KpiRow(
        key=draw(st.integers()),
        name=draw(st.text(max_size=12) | st.sampled_from(["刘一", "SH 上海<网点> & 'x'", ""])),
        volume={category: draw(counts) for category in "ABCD"},
        arrivals=arrivals,
        arrivals_in_time=draw(st.integers(min_value=0, max_value=arrivals)),
        satisfaction_tally=Tally(draw(st.integers(min_value=0, max_value=answers)), answers),
        surveys=draw(counts),
        finished=finished,
        helped=draw(st.sampled_from([0, 1]) | counts),
        complaints=draw(st.integers(min_value=0, max_value=finished)),
        warranty_hours=draw(st.decimals(min_value=0, max_value=10**5, places=1, allow_nan=False)),
        warranty_fees_waived=draw(money),
        warranty_parts_cost=draw(money),
        warranty_claims=draw(money),
    )
    return row, draw(marks)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("dimension", DIMENSIONS, ids=lambda dimension: dimension.key)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(kpi_rows(), max_size=4))
def test_the_rows_are_what_the_template_wrote(language, dimension, rows):
    context = Context({"table": {"dimension": dimension, "rows": rows}})
    with translation.override(language):
        expected = Template(ROWS_TEMPLATE).render(context)
        written = Template("{% load report_tags %}  {% kpi_table_rows table %}").render(context)
    if rows:
        assert written == expected
    else:  # the table's {% if %} writes its empty row instead
        assert written.strip() == expected.strip() == ""


def test_a_helpers_jobs_and_a_missed_target_show_in_a_technicians_row():
    row = KpiRow(
        name="陈二", finished=3, helped=2, arrivals=4, arrivals_in_time=1, warranty_claims=Decimal(1280)
    )
    table = {"dimension": TECHNICIAN, "rows": [(row, {"timeliness": False, "satisfaction": None})]}
    with translation.override("zh-hans"):
        written = Template("{% load report_tags %}{% kpi_table_rows table %}").render(
            Context({"table": table})
        )
    assert (
        '<td class="text-end" data-testid="attended">5 <span class="text-muted small">(含协助 2)</span></td>'
        in written
    )
    assert (
        'class="text-end below-target text-danger fw-bold">25.0% <span class="text-muted small">(1/4)'
        in written
    )
    assert "¥1,280.00" in written
