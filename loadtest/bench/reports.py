"""The KPI dashboard and the monthly report exports on the seeded bench database (issue #8):
`manage.py bench --part reports`, or on its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench SECRET_KEY=x \\
        python manage.py bench_reports

Run it after `make bench` has seeded the tickets (it refuses any database without the bench marker). It
adds, once, an arrival deadline per ticket that was reached, `surveys` answered surveys in the month it
reports on and more over the eleven months before, up to `total_surveys` (with service-caused
complaints from a third of the 不满意 answers); summarises the twelve months (reports.kpis.summarise,
timed); then times the dashboard in-process (the stored month; the month after it counted live, then
stored up to an hour before the newest ticket with the rest live, as the periodic task leaves it) and
each export in a fresh child process (`bench_reports --export`), so each export's peak memory (max RSS)
is its own.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Branch, User
from loadtest.bench import BenchError
from loadtest.bench.seed import PROTECTED_DATABASES, insert_select, seeded_ticket_count
from reports.kpis import TREND_MONTHS, Scope, dashboard, summarise, summarised_months
from reports.models import SummarisedMonth
from reports.periods import Month
from reports.views import monthly_export
from surveys.models import Complaint, Survey
from tickets.models import TicketDeadline

FORMATS = ("xlsx", "csv", "pdf")
SURVEYS = 100_000  # answered in the month reported on
TOTAL_SURVEYS = 300_000  # answered in all (issue #8's bench data)
RUNS = 7  # timed dashboard runs (median)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    *, month: Month | None, surveys: int, total_surveys: int, runs: int, log: Callable[[str], None]
) -> None:
    """Seed what the reports read, summarise, time the dashboard and each export; `month` by default the
    month before the newest ticket."""
    month = _bench_month(month)
    _seed(month, surveys, total_surveys, log)
    _summarise(month, log)
    _time_dashboard(month, "stored", runs, log)
    # The month after: counted live as a whole, then as the periodic task leaves it (stored up to an
    # hour before the newest ticket, the rest counted live).
    current = month.next()
    SummarisedMonth.objects.filter(month=current.first_day).delete()
    _time_dashboard(current, "live", runs, log)
    summarise(current, now=min(_newest(), timezone.now()) - datetime.timedelta(hours=1))
    _time_dashboard(current, "to date", runs, log)
    for fmt in FORMATS:
        _time_export_in_child(month, fmt, log)


def prepare_page(log: Callable[[str], None]) -> None:
    """The KPI dashboard as its users meet it, for `--part pages`: the 15-minute task has run
    (reports.tasks.summarise_months), so the trend's past months are stored and the current month is
    stored up to an hour before the newest ticket (the last hour counted live, as between two runs). What
    is stored already is kept, so every run measures the same state. The page "not stored" hides the
    current month's watermark from the dashboard (loadtest.bench.pages.current_month_not_stored)."""
    started = time.monotonic()
    current = Month.of(timezone.localdate())
    past = [current.minus(offset) for offset in range(1, TREND_MONTHS)]
    stored = summarised_months([current, *past])
    for month in past:
        if month not in stored:
            summarise(month)
    through = max(min(_newest(), timezone.now()) - datetime.timedelta(hours=1), current.start)
    if current not in stored and through > current.start:
        summarise(current, now=through)
    log(
        f"KPI dashboard: {sum(month not in stored for month in past)} past months summarised, {current} "
        f"stored up to {timezone.localtime(summarised_months([current]).get(current, through)):%Y-%m-%d %H:%M},"
        f" in {time.monotonic() - started:.1f} s."
    )


def one_export(*, month: Month | None, fmt: str) -> dict:
    """One monthly export in this process, as an administrator: its time, size and this process's peak
    memory (what `bench_reports --export` prints, as JSON, for the parent to read)."""
    month = _bench_month(month)
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench_admin", "bench@example.cn", None
    )
    request = RequestFactory().get("/reports/monthly/", {"month": str(month)})
    request.user = admin
    before = _rss_mb()
    started = time.perf_counter()
    response = monthly_export(request, fmt)
    size = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        size += len(chunk)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": size, "peak_mb": _rss_mb(), "before_mb": before}


def _bench_month(month: Month | None) -> Month:
    """Refuse any database but a seeded PostgreSQL bench database; the month asked for, or the default."""
    if connection.vendor != "postgresql" or connection.settings_dict["NAME"] in PROTECTED_DATABASES:
        raise BenchError("Run it with DATABASE_URL pointing at a PostgreSQL bench database.")
    if not seeded_ticket_count():
        raise BenchError("This is not a seeded bench database: run `make bench` first.")
    return month or Month.previous(timezone.localtime(_newest()).date())


def _newest() -> datetime.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(reported_at) FROM tickets_repairticket")
        return cursor.fetchone()[0]


def _insert_surveys(cursor, count: int, start, end) -> int:
    """`count` surveys (if positive) of the newest closed tickets without one, answered between
    `start` and `end`."""
    if count <= 0:
        return 0
    level = (
        "CASE WHEN random() < 0.45 THEN 4 WHEN random() < 0.85 THEN 3 WHEN random() < 0.8 THEN 2 ELSE 1 END"
    )
    return insert_select(
        cursor,
        Survey,
        {
            "ticket": "t.id",
            "branch": "t.branch_id",
            "technician": "t.technician_id",
            "attitude": level,
            "skill": level,
            "punctuality": level,
            "promises": level,
            "comment": "CASE WHEN random() < 0.15 THEN '师傅很专业,准时到达' "
            "WHEN random() < 0.05 THEN '来晚了,配件没带齐' ELSE '' END",
            "answered_at": "%(start)s::timestamptz + random() * (%(end)s::timestamptz - %(start)s::timestamptz)",
            "answered_via": "'agent'",
        },
        "(SELECT id, branch_id, technician_id FROM tickets_repairticket t0 WHERE state = 'closed' "
        "AND NOT EXISTS (SELECT 1 FROM surveys_survey s WHERE s.ticket_id = t0.id) "
        "ORDER BY id DESC LIMIT %(count)s) t",
        {"start": start, "end": end, "count": count},
    )


def _seed(month: Month, surveys: int, total: int, log: Callable[[str], None]) -> None:
    started = time.monotonic()
    with connection.cursor() as cursor:
        if not TicketDeadline.objects.filter(milestone="arrival").exists():
            rows = insert_select(
                cursor,
                TicketDeadline,
                {
                    "ticket": "id",
                    "milestone": "'arrival'",
                    "target_hours": "24",
                    "basis": "'clock'",
                    "started_at": "reported_at",
                    "warn_at": "reported_at + interval '18 hours'",
                    "due_at": "reported_at + interval '24 hours'",
                    "escalate_at": "reported_at + interval '48 hours'",
                    "met_at": "arrived_at",
                    "in_time": "arrived_at <= reported_at + interval '24 hours'",
                    "active": "false",
                },
                "tickets_repairticket WHERE arrived_at IS NOT NULL",
            )
            log(f"  arrival deadlines {rows:>12,} rows")
        rows = _insert_surveys(
            cursor,
            surveys - Survey.objects.filter(answered_at__gte=month.start, answered_at__lt=month.end).count(),
            month.start,
            month.end,
        )
        # The rest answered over the eleven months before: the dashboard's trend reads them all.
        rows_before = _insert_surveys(
            cursor,
            total - Survey.objects.filter(answered_at__isnull=False).count(),
            month.minus(TREND_MONTHS - 1).start,
            month.start,
        )
        if rows or rows_before:
            clerk = User.objects.filter(is_active=True).order_by("pk").first()
            complaints = insert_select(
                cursor,
                Complaint,
                {
                    "number": "'BENCH-' || s.id",
                    "branch": "s.branch_id",
                    "ticket": "s.ticket_id",
                    "contact_name": "'张先生'",
                    "source": "'survey'",
                    "service_at_fault": "true",
                    "description": "'服务态度差'",
                    "received_at": "s.answered_at",
                    "received_by": str(clerk.pk),
                    "plan_due_at": "s.answered_at + interval '72 hours'",
                },
                "surveys_survey s WHERE s.attitude = 1 AND s.id %% 3 = 0 "
                "AND NOT EXISTS (SELECT 1 FROM surveys_complaint c WHERE c.number = 'BENCH-' || s.id)",
            )
            log(f"  surveys in {month} {rows:>10,}, before {rows_before:,} rows, complaints {complaints:,}")
        cursor.execute("ANALYZE")
    log(f"Seeded in {time.monotonic() - started:.1f} s.")


def _summarise(month: Month, log: Callable[[str], None]) -> None:
    """Store the trend's twelve months (what the nightly task keeps up), timing each."""
    seconds = []
    for offset in range(TREND_MONTHS):
        started = time.monotonic()
        summarise(month.minus(offset))
        seconds.append(time.monotonic() - started)
    log(
        f"Summarised {TREND_MONTHS} months in {sum(seconds):.1f} s ({month}: {seconds[0]:.1f} s, "
        f"slowest {max(seconds):.1f} s)."
    )


def _time_dashboard(month: Month, how: str, runs: int, log: Callable[[str], None]) -> None:
    """All branches and one, median of `runs` after a warm-up run that counts the queries."""
    branch = Branch.objects.filter(code="SH").first()
    for label, scope in (("all branches", Scope(month)), (f"branch {branch.code}", Scope(month, branch))):
        with CaptureQueriesContext(connection) as queries:
            dashboard(scope)
        times = []
        for _run in range(runs):
            started = time.perf_counter()
            dashboard(scope)
            times.append((time.perf_counter() - started) * 1000)
        log(
            f"dashboard {month} {how:<7} {label:<14} median {statistics.median(times):5.0f} ms, "
            f"max {max(times):5.0f} ms, {len(queries)} queries"
        )


def _time_export_in_child(month: Month, fmt: str, log: Callable[[str], None]) -> None:
    argv = [sys.executable, "-m", "django", "bench_reports", f"--month={month}", f"--export={fmt}"]
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if completed.returncode:
        raise BenchError(completed.stderr)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    log(
        f"export {fmt:<4} {result['seconds']:6.1f} s, {result['bytes'] / 1e6:7.1f} MB, "
        f"peak RSS {result['peak_mb']:6.0f} MB (process before the export {result['before_mb']:.0f} MB)"
    )
