"""Time the KPI dashboard and the monthly report exports on a seeded bench database (issue #8).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench SECRET_KEY=x \\
        python manage.py bench_reports

Run it after `make bench` has seeded the tickets (it refuses any database without the bench marker). It
adds, once, an arrival deadline per ticket that was reached, `--surveys` answered surveys in the month it
reports on and more over the eleven months before, up to `--total-surveys` (with service-caused
complaints from a third of the 不满意 answers); summarises the twelve months (reports.kpis.summarise,
timed); then times the dashboard in-process (the stored month; the month after it counted live, then
stored up to an hour before the newest ticket with the rest live, as the periodic task leaves it) and
each export in a fresh child process, so each export's peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Branch, User
from loadtest.bench import pages as benchmark
from reports.kpis import TREND_MONTHS, Scope, dashboard, summarise
from reports.models import SummarisedMonth
from reports.periods import Month
from reports.views import monthly_export
from surveys.models import Complaint, Survey
from tickets.models import TicketDeadline

FORMATS = ("xlsx", "csv", "pdf")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time the KPI dashboard and the monthly exports on the bench database (after `make bench`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--surveys", type=int, default=100_000, help="answered surveys in the month")
        parser.add_argument(
            "--total-surveys",
            type=int,
            default=300_000,
            help="answered surveys in all (issue #8's bench data)",
        )
        parser.add_argument("--month", help="YYYY-MM (default: the month before the newest ticket)")
        parser.add_argument("--runs", type=int, default=7, help="timed dashboard runs (median)")
        parser.add_argument("--export", choices=FORMATS, help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        if (
            connection.vendor != "postgresql"
            or connection.settings_dict["NAME"] in benchmark.PROTECTED_DATABASES
        ):
            raise CommandError("Run it with DATABASE_URL pointing at a PostgreSQL bench database.")
        if not benchmark.seeded_ticket_count():
            raise CommandError("This is not a seeded bench database: run `make bench` first.")
        month = Month.parse(options["month"]) if options["month"] else self._default_month()
        if options["export"]:
            self._one_export(month, options["export"])
            return
        self._seed(month, options["surveys"], options["total_surveys"])
        self._summarise(month)
        runs = options["runs"]
        self._time_dashboard(month, "stored", runs)
        # The month after: counted live as a whole, then as the periodic task leaves it (stored up to an
        # hour before the newest ticket, the rest counted live).
        current = month.next()
        SummarisedMonth.objects.filter(month=current.first_day).delete()
        self._time_dashboard(current, "live", runs)
        summarise(current, now=min(self._newest(), timezone.now()) - datetime.timedelta(hours=1))
        self._time_dashboard(current, "to date", runs)
        for fmt in FORMATS:
            self._time_export_in_child(month, fmt)

    @staticmethod
    def _newest() -> datetime.datetime:
        with connection.cursor() as cursor:
            cursor.execute("SELECT max(reported_at) FROM tickets_repairticket")
            return cursor.fetchone()[0]

    def _default_month(self) -> Month:
        return Month.previous(timezone.localtime(self._newest()).date())

    @staticmethod
    def _insert_surveys(cursor, count: int, start, end) -> int:
        """`count` surveys (if positive) of the newest closed tickets without one, answered between
        `start` and `end`."""
        if count <= 0:
            return 0
        level = "CASE WHEN random() < 0.45 THEN 4 WHEN random() < 0.85 THEN 3 WHEN random() < 0.8 THEN 2 ELSE 1 END"
        return benchmark.insert_select(
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

    def _seed(self, month: Month, surveys: int, total: int) -> None:
        started = time.monotonic()
        with connection.cursor() as cursor:
            if not TicketDeadline.objects.filter(milestone="arrival").exists():
                rows = benchmark.insert_select(
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
                self.stdout.write(f"  arrival deadlines {rows:>12,} rows")
            rows = self._insert_surveys(
                cursor,
                surveys
                - Survey.objects.filter(answered_at__gte=month.start, answered_at__lt=month.end).count(),
                month.start,
                month.end,
            )
            # The rest answered over the eleven months before: the dashboard's trend reads them all.
            rows_before = self._insert_surveys(
                cursor,
                total - Survey.objects.filter(answered_at__isnull=False).count(),
                month.minus(TREND_MONTHS - 1).start,
                month.start,
            )
            if rows or rows_before:
                clerk = User.objects.filter(is_active=True).order_by("pk").first()
                complaints = benchmark.insert_select(
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
                self.stdout.write(
                    f"  surveys in {month} {rows:>10,}, before {rows_before:,} rows, complaints {complaints:,}"
                )
            cursor.execute("ANALYZE")
        self.stdout.write(f"Seeded in {time.monotonic() - started:.1f} s.")

    def _summarise(self, month: Month) -> None:
        """Store the trend's twelve months (what the nightly task keeps up), timing each."""
        seconds = []
        for offset in range(TREND_MONTHS):
            started = time.monotonic()
            summarise(month.minus(offset))
            seconds.append(time.monotonic() - started)
        self.stdout.write(
            f"Summarised {TREND_MONTHS} months in {sum(seconds):.1f} s ({month}: {seconds[0]:.1f} s, "
            f"slowest {max(seconds):.1f} s)."
        )

    def _time_dashboard(self, month: Month, how: str, runs: int) -> None:
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
            self.stdout.write(
                f"dashboard {month} {how:<7} {label:<14} median {statistics.median(times):5.0f} ms, "
                f"max {max(times):5.0f} ms, {len(queries)} queries"
            )

    def _time_export_in_child(self, month: Month, fmt: str) -> None:
        argv = [sys.executable, "-m", "django", "bench_reports", f"--month={month}", f"--export={fmt}"]
        env = {**os.environ}
        env.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
        completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if completed.returncode:
            raise CommandError(completed.stderr)
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        self.stdout.write(
            f"export {fmt:<4} {result['seconds']:6.1f} s, {result['bytes'] / 1e6:7.1f} MB, "
            f"peak RSS {result['peak_mb']:6.0f} MB (process before the export {result['before_mb']:.0f} MB)"
        )

    def _one_export(self, month: Month, fmt: str) -> None:
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
        print(json.dumps({"seconds": seconds, "bytes": size, "peak_mb": _rss_mb(), "before_mb": before}))
