"""The quality page (reports.quality, issue #18 item 7) on the seeded bench database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench SECRET_KEY=x \\
        python manage.py bench_quality

Run it after `make bench` has seeded the tickets (it refuses any database without the bench marker). It
gives, once, every product model five fault codes and a third of the tickets one of them, and the units
a production batch (the seed has neither); summarises the twelve months of the trend and counts the units in the field (timed), as the periodic
task does; then times
the page's report in-process, as the KPI dashboard is timed (loadtest.bench.reports): the stored month,
the month after it counted live, and the month after it as the periodic task leaves it (stored up to an
hour before the newest ticket, the rest live); and the manufacturing workbook of the stored month.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import ProductModel
from loadtest.bench.reports import _bench_month, _newest
from reports import manufacturing
from reports.kpis import Scope
from reports.models import FieldUnits, SummarisedQualityMonth
from reports.periods import Month
from reports.quality import TREND_MONTHS, count_field_units, quality_report, summarise, summarised_months
from tickets.models import FaultCode

RUNS = 7


def run(*, month: Month | None, runs: int, log: Callable[[str], None]) -> None:
    month = _bench_month(month)
    _seed(log)
    started = time.monotonic()
    for offset in reversed(range(TREND_MONTHS)):
        summarise(month.minus(offset))
    log(f"Summarised {TREND_MONTHS} months in {time.monotonic() - started:.1f} s.")
    started = time.monotonic()
    groups = count_field_units()
    log(f"Counted the units in the field ({groups:,} groups) in {time.monotonic() - started:.1f} s.")
    _time(month, "stored", runs, log)
    current = month.next()
    SummarisedQualityMonth.objects.filter(month=current.first_day).delete()
    _time(current, "live", runs, log)
    summarise(current, now=min(_newest(), timezone.now()) - datetime.timedelta(hours=1))
    _time(current, "to date", runs, log)
    started = time.monotonic()
    report = manufacturing.manufacturing_report(month)
    size = len(manufacturing.workbook(report, company="bench"))
    log(f"manufacturing workbook {month}: {time.monotonic() - started:.2f} s, {size:,} bytes")


def prepare_page(log: Callable[[str], None]) -> None:
    """The quality page as its users meet it, for `--part pages`: the hourly task has run
    (reports.tasks.summarise_quality_months), so the trend's past months are stored, the current month
    is stored up to an hour before the newest ticket (the last hour is counted live, as between two
    runs of the task) and the units in the field are counted. What is stored already is kept, so
    every run measures the same state. The tickets are left as seeded (no fault codes: bench_quality
    adds those by rewriting a third of the tickets)."""
    started = time.monotonic()
    current = Month.of(timezone.localdate())
    past = [current.minus(offset) for offset in range(1, TREND_MONTHS)]
    stored = summarised_months(past)
    for month in past:
        if month not in stored:
            summarise(month)
    through = max(min(_newest(), timezone.now()) - datetime.timedelta(hours=1), current.start)
    if through > current.start:
        summarise(current, now=through)
    if not FieldUnits.objects.exists():
        count_field_units()
    log(
        f"Quality page: {TREND_MONTHS - 1 - len(stored)} past months summarised, {current} stored up to "
        f"{timezone.localtime(through):%Y-%m-%d %H:%M}, in {time.monotonic() - started:.1f} s."
    )


def _seed(log: Callable[[str], None]) -> None:
    if FaultCode.objects.exists():
        return
    started = time.monotonic()
    FaultCode.objects.bulk_create(
        FaultCode(product_model=model, code=f"E{n}", symptom=f"故障现象 {n}", labour_hours=1)
        for model in ProductModel.objects.all()
        for n in range(1, 6)
    )
    with connection.cursor() as cursor:
        # A third of the tickets get one of their model's codes, skewed towards E1 (a Pareto to draw).
        cursor.execute(
            """
            UPDATE tickets_repairticket t SET fault_code_id = f.id
            FROM customers_unit u, tickets_faultcode f
            WHERE t.unit_id = u.id AND t.id % 3 = 0 AND f.product_model_id = u.product_model_id
              AND f.code = 'E' || (1 + (t.id / 3) % 5 * ((t.id / 3) % 2))::text
            """
        )
        codes = cursor.rowcount
        cursor.execute("UPDATE customers_unit SET batch = 'B' || (id % 7)::text")
        cursor.execute("ANALYZE tickets_repairticket")
        cursor.execute("ANALYZE customers_unit")
    log(f"  fault codes on {codes:,} tickets, batches on the units, in {time.monotonic() - started:.1f} s")


def _time(month: Month, label: str, runs: int, log: Callable[[str], None]) -> None:
    for branch in (None,):
        seconds, queries = [], 0
        for _run in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                quality_report(Scope(month, branch))
                seconds.append(time.perf_counter() - started)
            queries = len(captured)
        log(
            f"quality {month} {label:<8} all branches   median {statistics.median(seconds) * 1000:6.0f} ms, "
            f"max {max(seconds) * 1000:6.0f} ms, {queries} queries"
        )
