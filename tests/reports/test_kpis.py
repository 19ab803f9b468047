"""KPI numbers against hand-computed values on the fixed October data set (tests/reports/factories.py)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from reports.kpis import (
    BRANCH,
    DIMENSIONS,
    MEASURES,
    PRODUCT_MODEL,
    TECHNICIAN,
    Scope,
    _grouped,
    _id_column,
    _live_statement,
    _ranges,
    dashboard,
    kpi_table,
    live_groups,
    summarisable_months,
    summarise,
    total,
    trend,
)
from reports.models import KpiMonth
from reports.periods import Month
from reports.tasks import summarise_months
from tests.concurrency import race
from tests.reports.factories import arrival, local, survey
from tests.tickets.factories import TicketFactory
from tickets.models import TicketHelper

pytestmark = pytest.mark.django_db
OCTOBER, NOVEMBER = Month(2026, 10), Month(2026, 11)


@pytest.fixture(params=["counted live", "stored month"])
def october_kpis(request, october):
    """The October figures counted from the rows, or from October's stored summary (reports.KpiMonth):
    both must give the hand-computed values."""
    if request.param == "stored month":
        summarise(OCTOBER)
    return october


def by_name(rows):
    return {row.name: row for row in rows}


def figures(row):
    return (
        row.volume,
        (row.arrivals_in_time, row.arrivals, row.timeliness),
        (row.satisfaction_tally.satisfied, row.satisfaction_tally.answers, row.satisfaction),
        (row.complaints, row.finished, row.complaint_rate),
        (
            row.warranty_hours,
            row.warranty_fees_waived,
            row.warranty_parts_cost,
            row.warranty_claims,
            row.warranty_cost,
        ),
    )


def test_per_branch_and_in_total(october_kpis):
    rows = by_name(kpi_table(Scope(OCTOBER), BRANCH))
    assert figures(rows["上海分公司"]) == (
        {"A": 1, "B": 1, "C": 1, "D": 0},
        (2, 3, Decimal("66.7")),  # t1 in time, t3 late, t4 in time; t2 met in November
        (6, 8, Decimal("75.0")),  # (4,3,2,1) → 2 of 4, (4,4,4,4) → 4 of 4
        (1, 3, Decimal("33.3")),  # t3's service-caused complaint; t4's was not the service's fault
        # t3 (C): 2.5 h × ¥80 + ¥30 waived + 2 × ¥45.50 parts + ¥500 claim; t4's claim was rejected
        (Decimal("2.5"), Decimal("30"), Decimal("91"), Decimal("500"), Decimal("821.00")),
    )
    assert figures(rows["杭州服务站"]) == (
        {"A": 0, "B": 0, "C": 0, "D": 1},
        (1, 1, Decimal("100.0")),
        (4, 4, Decimal("100.0")),
        (0, 1, Decimal("0.0")),  # its complaint came at 00:05 on 1 November
        (
            Decimal(0),
            Decimal(0),
            Decimal(0),
            Decimal(0),
            Decimal("0.00"),
        ),  # its claim was decided in November
    )
    whole = total(rows.values())
    assert (
        whole.reported,
        whole.timeliness,
        whole.satisfaction,
        whole.complaint_rate,
        whole.warranty_cost,
    ) == (
        4,
        Decimal("75.0"),
        Decimal("83.3"),
        Decimal("25.0"),
        Decimal("821.00"),
    )


def test_per_technician(october_kpis):
    rows = by_name(kpi_table(Scope(OCTOBER), TECHNICIAN))
    assert list(rows) == ["刘一", "赵三", "陈二"]
    liu, zhao, chen = rows["刘一"], rows["赵三"], rows["陈二"]
    assert (liu.reported, liu.timeliness, liu.satisfaction, liu.complaint_rate) == (
        1,
        Decimal("100.0"),
        None,  # t1's survey was answered in November
        Decimal("0.0"),
    )
    assert (chen.volume, chen.timeliness, chen.satisfaction, chen.complaint_rate, chen.warranty_hours) == (
        {"A": 0, "B": 1, "C": 1, "D": 0},
        Decimal("50.0"),
        Decimal("75.0"),
        Decimal("50.0"),
        Decimal("2.5"),
    )
    assert (zhao.timeliness, zhao.satisfaction) == (Decimal("100.0"), Decimal("100.0"))


def test_per_product_model(october_kpis):
    rows = by_name(kpi_table(Scope(OCTOBER), PRODUCT_MODEL))
    split, washer = rows["KFR-35GW 壁挂式空调"], rows["XQG-80 滚筒洗衣机"]
    assert (split.volume, split.timeliness, split.satisfaction, split.complaint_rate) == (
        {"A": 1, "B": 0, "C": 1, "D": 1},
        Decimal("66.7"),
        Decimal("75.0"),
        Decimal("33.3"),
    )
    assert (washer.reported, washer.timeliness, washer.satisfaction, washer.complaint_rate) == (
        1,
        Decimal("100.0"),
        Decimal("100.0"),
        Decimal("0.0"),
    )


def test_the_month_edge_in_shanghai_time(october):
    """t1 at 23:30 on 31 October is October's; t2 at 00:10 on 1 November (the same UTC day) is November's."""
    november = by_name(kpi_table(Scope(NOVEMBER), BRANCH))
    shanghai = november["上海分公司"]
    assert shanghai.volume == {"A": 0, "B": 0, "C": 1, "D": 0}
    assert (shanghai.arrivals, shanghai.timeliness) == (1, Decimal("0.0"))
    assert (shanghai.satisfaction, shanghai.finished, shanghai.warranty_hours) == (
        Decimal("0.0"),
        1,
        Decimal(4),
    )
    assert (november["杭州服务站"].complaints, november["杭州服务站"].complaint_rate) == (1, None)


def test_one_branch_only(october_kpis, branch_b):
    rows = kpi_table(Scope(OCTOBER, branch=branch_b), BRANCH)
    assert [row.name for row in rows] == ["杭州服务站"]
    assert [row.name for row in kpi_table(Scope(OCTOBER, branch=branch_b), TECHNICIAN)] == ["赵三"]


def test_trend_has_twelve_months_ending_with_the_chosen_one(october_kpis):
    months = trend(Scope(NOVEMBER))
    assert [row.key for row in months] == [NOVEMBER.minus(11 - index) for index in range(12)]
    oct_row, nov_row = months[-2], months[-1]
    assert (oct_row.reported, oct_row.timeliness, oct_row.satisfaction, oct_row.complaint_rate) == (
        4,
        Decimal("75.0"),
        Decimal("83.3"),
        Decimal("25.0"),
    )
    assert (nov_row.reported, nov_row.timeliness, nov_row.satisfaction, nov_row.complaint_rate) == (
        1,
        Decimal("0.0"),
        Decimal("0.0"),
        Decimal("100.0"),
    )
    assert all(row.reported == 0 for row in months[:-2])


def test_kpis_below_target_are_marked(october_kpis):
    board = dashboard(Scope(OCTOBER))
    assert board.summary.marks(board.targets) == {
        "timeliness": False,
        "satisfaction": False,
        "complaint_rate": False,
    }
    hangzhou = by_name(board.tables["branch"])["杭州服务站"]
    assert hangzhou.marks(board.targets) == {"timeliness": True, "satisfaction": True, "complaint_rate": True}


def test_targets_come_from_settings(october, settings):
    settings.KPI_TARGETS = {"timeliness": "70", "satisfaction": "80", "complaint_rate": "30"}
    board = dashboard(Scope(OCTOBER))
    assert board.summary.marks(board.targets) == {
        "timeliness": True,
        "satisfaction": True,
        "complaint_rate": True,
    }


def test_the_dashboard_runs_the_same_queries_for_more_data(october, branch_a):
    with CaptureQueriesContext(connection) as few:
        dashboard(Scope(OCTOBER))
    technician = october["technicians"][0]
    for day in range(1, 29):
        ticket = TicketFactory(
            branch=branch_a, technician=technician, state="closed", reported_at=local(2026, 10, day, 9)
        )
        arrival(ticket, met_at=local(2026, 10, day, 11), in_time=day % 3 != 0)
        survey(ticket, (4, 3, 2, 4), answered_at=local(2026, 10, day, 15))
    with CaptureQueriesContext(connection) as many:
        board = dashboard(Scope(OCTOBER))
    # Which months are summarised, then (none are) the month grouped by every dimension, the names of
    # each dimension's groups, and the trend.
    assert len(few) == len(many) == 1 + len(MEASURES) + len(DIMENSIONS) + len(MEASURES)
    assert board.summary.reported == 4 + 28


def _everything(board):
    return (
        {key: [(row.name, figures(row)) for row in rows] for key, rows in board.tables.items()},
        [(row.name, figures(row)) for row in board.months],
    )


def test_a_stored_year_gives_the_counted_figures_from_its_stored_sums(october, branch_b):
    for scope in (Scope(OCTOBER), Scope(OCTOBER, branch=branch_b)):
        counted = _everything(dashboard(scope))
        for offset in range(12):
            summarise(OCTOBER.minus(offset))
        with CaptureQueriesContext(connection) as queries:
            stored = _everything(dashboard(scope))
        assert stored == counted
        # Which months are stored, the month's sums per dimension, the trend's, the names per dimension.
        assert len(queries) == 1 + 3 + 1 + 3
        with CaptureQueriesContext(connection) as queries:
            assert _everything(dashboard(scope)) == counted
        assert len(queries) == 1 + 3  # the sums kept by their revision: the watermarks and the names


def test_the_stored_trend_is_read_again_only_when_a_month_is_stored_again(october, branch_a):
    """The trend's stored months are kept in the process by their revision (issue #19): the next page
    skips that query, and a month stored again — late entries, the same watermark — shows at once."""
    for offset in range(12):
        summarise(NOVEMBER.minus(offset))
    first = dashboard(Scope(NOVEMBER))
    with CaptureQueriesContext(connection) as queries:
        again = dashboard(Scope(NOVEMBER))
    assert _everything(again) == _everything(first)
    assert len(queries) == 1 + 3  # which months are stored, the names per dimension: no stored sums
    TicketFactory(branch=branch_a, service_category="A", reported_at=local(2026, 10, 20, 9))
    assert dashboard(Scope(NOVEMBER)).months[-2].volume["A"] == first.months[-2].volume["A"]  # not stored
    summarise(OCTOBER)
    assert dashboard(Scope(NOVEMBER)).months[-2].volume["A"] == first.months[-2].volume["A"] + 1


def test_a_renamed_technician_shows_at_once_in_a_stored_month(october):
    """The stored sums are kept by their revision, the names are read on every page."""
    summarise(OCTOBER)
    assert "刘一" in by_name(kpi_table(Scope(OCTOBER), TECHNICIAN))
    liu = october["technicians"][0]
    liu.last_name, liu.first_name = "", "柳一"
    liu.save(update_fields=["last_name", "first_name"])
    names = by_name(kpi_table(Scope(OCTOBER), TECHNICIAN))
    assert "柳一" in names and "刘一" not in names


def test_summarising_again_takes_in_late_entries(october, branch_a):
    summarise(OCTOBER)
    cells = KpiMonth.objects.count()
    technician = october["technicians"][0]
    ticket = TicketFactory(
        branch=branch_a, technician=technician, state="closed", reported_at=local(2026, 9, 30, 9)
    )
    survey(ticket, (1, 1, 1, 1), answered_at=local(2026, 10, 31, 20))
    assert dashboard(Scope(OCTOBER)).summary.satisfaction == Decimal("83.3")  # the stored month
    summarise(OCTOBER)
    assert dashboard(Scope(OCTOBER)).summary.satisfaction == Decimal("62.5")  # 10 of 16 answers
    assert KpiMonth.objects.count() >= cells


def test_a_month_stored_to_date_adds_what_came_after_live(october, branch_a):
    """October stored up to the 15th at noon: the rows after it are counted live, the figures are the
    same, and a ticket reported after the run shows at once."""
    counted = _everything(dashboard(Scope(NOVEMBER)))
    summarise(OCTOBER, now=local(2026, 10, 15, 12))
    summarise(NOVEMBER, now=local(2026, 11, 15, 12))
    assert _everything(dashboard(Scope(NOVEMBER))) == counted
    TicketFactory(branch=branch_a, service_category="A", reported_at=local(2026, 11, 20, 9))
    assert dashboard(Scope(NOVEMBER)).summary.volume["A"] == 1


def test_the_current_month_to_date_is_counted_live_once(october, branch_a):
    """The usual page: the past months stored, this month stored to date. Its rows after the watermark
    are read once, by the tables; the trend's last month is their total (issue #19: it read them again,
    one query per measure), with the same figures and the newest ticket in both."""
    counted = _everything(dashboard(Scope(NOVEMBER)))
    for offset in range(1, 12):
        summarise(NOVEMBER.minus(offset))
    summarise(NOVEMBER, now=local(2026, 11, 15, 12))
    with CaptureQueriesContext(connection) as queries:
        board = dashboard(Scope(NOVEMBER))
    assert _everything(board) == counted
    # Which months are stored, the month's sums per dimension, its live rows per measure, the stored
    # trend, the names per dimension.
    assert len(queries) == 1 + 3 + len(MEASURES) + 1 + 3
    TicketFactory(branch=branch_a, service_category="A", reported_at=local(2026, 11, 20, 9))
    board = dashboard(Scope(NOVEMBER))
    assert board.summary.volume["A"] == board.months[-1].volume["A"] == 1


def test_a_month_that_has_not_begun_is_not_stored():
    with pytest.raises(ValueError, match="not begun"):
        summarise(NOVEMBER, now=local(2026, 10, 31, 23))


def test_the_periodic_months_are_the_current_the_last_and_any_missing(october):
    summarise(Month(2026, 8))
    assert summarisable_months(datetime.date(2026, 11, 28), 3) == [Month(2026, 9), OCTOBER, NOVEMBER]


def test_the_periodic_task_stores_the_months_without_changing_a_figure(october):
    current = Scope(Month(timezone.localdate().year, timezone.localdate().month))
    counted = {scope: _everything(dashboard(scope)) for scope in (Scope(OCTOBER), current)}
    stored = summarise_months()
    assert str(current.month) in stored and str(current.month.minus(1)) in stored
    assert {scope: _everything(dashboard(scope)) for scope in counted} == counted


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_reads_one_snapshot_while_the_month_is_stored_again(
    postgres, reference_data, october, monkeypatch
):
    """The periodic task stores October again (watermark moved from the 15th to the month's end) between
    the dashboard's reading of the watermark and of the stored counts: nothing is counted twice."""
    import reports.kpis

    counted = _everything(dashboard(Scope(OCTOBER)))
    summarise(OCTOBER, now=local(2026, 10, 15, 12))
    read_tables = reports.kpis.kpi_tables

    def tables_after_the_task_ran(*args, **kwargs):
        [stored] = race(lambda: summarise(OCTOBER))  # its own connection, committed
        assert stored > 0
        return read_tables(*args, **kwargs)

    monkeypatch.setattr(reports.kpis, "kpi_tables", tables_after_the_task_ran)
    assert _everything(dashboard(Scope(OCTOBER))) == counted


@pytest.fixture
def helpers(october):
    """Two-person jobs: 陈二 went along on 刘一's t1 (completed 31 October 23:50) and t2 (completed in
    November); 刘一 on 陈二's t3 (completed 7 October)."""
    liu, chen, _zhao = october["technicians"]
    t1, t2, t3, _t4, _t5 = october["tickets"]
    TicketHelper.objects.create(ticket=t1, technician=chen)
    TicketHelper.objects.create(ticket=t2, technician=chen)
    TicketHelper.objects.create(ticket=t3, technician=liu)
    return october


@pytest.mark.parametrize("stored", [False, True], ids=["counted live", "stored month"])
def test_a_helper_counts_the_job_as_attended_and_the_totals_count_it_once(helpers, stored):
    if stored:
        summarise(OCTOBER)
        summarise(NOVEMBER)
    rows = by_name(kpi_table(Scope(OCTOBER), TECHNICIAN))
    liu, chen, zhao = rows["刘一"], rows["陈二"], rows["赵三"]
    # (finished as lead, helped, attended); the lead keeps the ticket's own figures.
    assert (liu.finished, liu.helped, liu.attended) == (1, 1, 2)  # t1; helped on t3
    assert (chen.finished, chen.helped, chen.attended) == (2, 1, 3)  # t3, t4; helped on t1 (t2: November)
    assert (zhao.finished, zhao.helped, zhao.attended) == (1, 0, 1)
    assert (liu.complaint_rate, chen.complaint_rate, chen.warranty_hours) == (
        Decimal("0.0"),
        Decimal("50.0"),
        Decimal("2.5"),
    )
    board = dashboard(Scope(OCTOBER))
    assert (board.summary.finished, board.summary.helped, board.summary.reported) == (4, 2, 4)
    assert [row.helped for row in board.months][-1] == 2
    assert by_name(kpi_table(Scope(NOVEMBER), TECHNICIAN))["陈二"].helped == 1


def test_the_dashboard_shows_what_each_technician_attended(client, helpers, persona, branch_a):
    client.force_login(persona(Role.SUPERVISOR, branch=branch_a))
    page = client.get(reverse("reports:dashboard"), {"month": "2026-10"}).content.decode()
    technicians = page[page.index('data-testid="kpi-table-technician"') :]
    technicians = technicians[: technicians.index("</table>")]
    chen = technicians[technicians.index("陈二") :]
    assert re.search(r'data-testid="attended">3 <span class="text-muted small">\(含协助 1\)', chen)
    branches = page[page.index('data-testid="kpi-table-branch"') :]
    assert re.search(r'data-testid="attended">3</td>', branches[: branches.index("</table>")])


# The live statements (reports.kpis.live_groups): SQL the ORM wrote once per shape, run with this request's
# windows and branch, must give what the queryset gives, for any windows over the October data.
_MOMENTS = st.datetimes(
    min_value=datetime.datetime(2026, 9, 25),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime.datetime(2026, 11, 5),  # noqa: DTZ001
    timezones=st.just(datetime.UTC),
)


@st.composite
def _windows(draw):
    bounds = sorted(draw(st.lists(_MOMENTS, min_size=2, max_size=6, unique=True)))
    if len(bounds) % 2:
        bounds = bounds[:-1]
    windows = list(zip(bounds[::2], bounds[1::2], strict=True))
    if draw(st.booleans()) and len(windows) > 1:  # adjacent windows make one range
        windows[1] = (windows[0][1], windows[1][1])
    return windows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(windows=_windows(), one_branch=st.booleans())
def test_a_live_statement_counts_what_its_queryset_counts(postgres, october, branch_a, windows, one_branch):
    """PostgreSQL's only: elsewhere (SQLite under `make run`) the querysets run as they are."""
    branch = branch_a if one_branch else None
    for index, measure in enumerate(MEASURES):
        for dimensions in [(dimension,) for dimension in DIMENSIONS] + [DIMENSIONS]:
            group_by = tuple(sorted({_id_column(measure, dimension) for dimension in dimensions}))
            ranges = len(_ranges(windows))
            assert _live_statement(index, group_by, ranges, one_branch, "default") is not None
            key = lambda row: tuple(sorted((name, str(value)) for name, value in row.items()))  # noqa: E731
            expected = sorted(_grouped(measure, group_by, windows, branch), key=key)
            assert sorted(live_groups(measure, group_by, windows, branch), key=key) == expected
