"""`manage.py bench` on its bench database: create, migrate and seed it, then run the parts asked for in
order (pages, sweep, rules, reports, http, throughput), printing each as it finishes (see docs/performance.md)."""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection

from loadtest.bench import clocks, http, pages, quality, reports, seed, throughput

PARTS = ("pages", "sweep", "rules", "reports", "http", "throughput")


def run(
    bench_db: dict,
    *,
    tickets: int,
    reseed: bool,
    part: str,
    requests: int,
    warmup: int,
    explain: bool,
    http_users: int,
    http_minutes: float,
    log: Callable[[str], None],
    warn: Callable[[str], None],
    only_pages: str = "",
    throughput_users: int = 20,
    throughput_seconds: int = 60,
) -> None:
    """`bench_db`: the settings dict of the database this process uses; `part`: one of PARTS or "all"."""
    name = bench_db["NAME"]
    if seed.ensure_database(bench_db):
        log(f"Created database {name}.")
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"Migrations applied to {name} ({time.monotonic() - started:.1f} s).")

    log(f"Seeding {tickets:,} tickets…")
    report = seed.seed(tickets, reseed=reseed, log=log)
    if report.skipped:
        log(f"  already seeded with {report.tickets:,} tickets (use --reseed to seed again)")
    else:
        log(f"  seeded in {report.seconds:.0f} s")
    log("  " + ", ".join(f"{table} {count:,}" for table, count in report.counts.items()))

    log(environment(tickets))
    if part in ("all", "pages"):
        _pages(requests=requests, warmup=warmup, explain=explain, only=only_pages, log=log, warn=warn)
    if part in ("all", "sweep"):
        _sweep(log)
    if part in ("all", "rules"):
        _rules(log)
    if part in ("all", "reports"):
        log("\nKPI dashboard and monthly exports:")
        reports.run(
            month=None,
            surveys=reports.SURVEYS,
            total_surveys=reports.TOTAL_SURVEYS,
            runs=reports.RUNS,
            log=log,
        )
    if part in ("all", "http"):
        log("\nThrough gunicorn under load (locust on loopback):")
        if not http.run(users=http_users, minutes=http_minutes, log=log):
            warn("Some targets were missed or requests failed.")
    if part in ("all", "throughput"):
        log("\nThroughput at saturation, the mixed workload against the floor (locust on loopback):")
        if not throughput.run(users=throughput_users, seconds=throughput_seconds, log=log):
            warn("The mixed workload missed its share of the floor, or requests failed.")


def _sweep(log: Callable[[str], None]) -> None:
    log("\nSLA sweep (one running deadline per ticket; each run rolled back):")
    for figure in clocks.sweep_figures(log):
        log(
            f"  {figure.running:,} running, {figure.due:,} due: {figure.seconds:.2f} s "
            f"({figure.alerts:,} deadlines alerted, target ≤ 2 s at 1 % due)"
        )


def _rules(log: Callable[[str], None]) -> None:
    log("\nPure rules, one core, no database:")
    for name, per_second in clocks.rules_figures().items():
        log(f"  {name}: {per_second:,.0f} per second")


def _pages(
    *,
    requests: int,
    warmup: int,
    explain: bool,
    only: str,
    log: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    personas = pages.choose_personas()
    if only in "quality page (this month)":
        quality.prepare_page(log)
    if only in "KPI dashboard (this month)" or only in "KPI dashboard (this month, not stored)":
        reports.prepare_page(log)
    log(
        f"Measuring as {personas.dispatcher.username} (dispatcher, {personas.branch.code}) and "
        f"{personas.technician.username} (technician, {personas.technician_jobs} active jobs): "
        f"{warmup} warm-up + {requests} timed requests per page…"
    )
    with pages.bench_urls():
        results, captured = pages.measure(personas, requests=requests, warmup=warmup, only=only, log=log)
    log("")
    log(pages.format_table(results))
    log(
        "Server time in this process (Django test Client, no network). Queries per request counted "
        "during warm-up. × floor: the page's median over the median of the floor requests timed "
        "alternately with it."
    )
    if explain:
        for label, statements in captured.items():
            for ms, statement, plan in pages.hot_queries(statements, top=2):
                log(f"\nEXPLAIN (ANALYZE, BUFFERS) — {label}, {ms:.1f} ms:\n{statement}\n{plan}")
    if any(result.verdict == "MISSED" for result in results):
        warn("Some targets were missed; see docs/performance.md.")


def environment(tickets: int) -> str:
    """The machine, its load and the software the figures were taken on."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    today = datetime.datetime.now(tz=datetime.UTC).date()
    # Other work on the machine shows in the figures: say how busy it was.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{today}, {os.cpu_count()} CPUs{memory}, load average {load}, PostgreSQL {version}, "
        f"{tickets:,} tickets, Python {sys.version.split()[0]}"
    )
