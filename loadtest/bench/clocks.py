"""Benchmarks of the clocks and the pure rules (`manage.py bench --part sweep|rules`).

The SLA sweep runs over one deadline per seeded ticket (1,000,000 running clocks at the default size)
with a chosen share due; each measurement runs in a transaction that is rolled back, so the bench
database keeps its state and the figures repeat. The pure rules are timed on one core, no database.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from aftersales.workcalendar import WorkingCalendar, add_working_hours, working_hours_between
from tickets import sla_services
from warranty import rules


@dataclass(frozen=True)
class SweepFigure:
    running: int
    due: int
    seconds: float
    alerts: int


def ensure_running_clocks(log: Callable[[str], None]) -> int:
    """One running resolution deadline per ticket, due in a week (created once, in SQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_repairticket")
        tickets = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_ticketdeadline WHERE active")
        if cursor.fetchone()[0] == tickets:
            return tickets
        log(f"  creating {tickets:,} running deadlines…")
        cursor.execute("TRUNCATE tickets_ticketdeadline CASCADE")
        cursor.execute(
            """
            INSERT INTO tickets_ticketdeadline
                (ticket_id, milestone, target_hours, basis, started_at, warn_at, due_at, escalate_at,
                 active, alert_level, calendar_confirmed)
            SELECT id, 'resolution', 168, 'clock', now(), now() + interval '5 days',
                   now() + interval '7 days', now() + interval '8 days', true, 0, true
            FROM tickets_repairticket
            """
        )
        cursor.execute("ANALYZE tickets_ticketdeadline")
    return tickets


def measure_sweep(running: int, share: float) -> SweepFigure:
    """Make `share` of the running deadlines breached, time one sweep, roll everything back."""
    every = max(round(1 / share), 1)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticketdeadline SET warn_at = now() - interval '2 hours', "
                "due_at = now() - interval '1 minute' WHERE id %% %s = 0",
                [every],
            )
            due = cursor.rowcount
        started = time.perf_counter()
        sent = sla_services.sweep(timezone.now())
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return SweepFigure(running=running, due=due, seconds=seconds, alerts=sum(sent.values()))


def sweep_figures(log: Callable[[str], None], shares=(0.01, 0.001)) -> list[SweepFigure]:
    running = ensure_running_clocks(log)
    measure_sweep(running, shares[-1])  # warm the caches once
    return [measure_sweep(running, share) for share in shares]


def rate(function: Callable[[int], object], seconds: float = 2.0) -> float:
    """Calls per second of `function(i)` over about `seconds`, on this one thread."""
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for i in range(count, count + 200):
            function(i)
        count += 200
    return count / elapsed


def rules_figures() -> dict[str, float]:
    random.seed(7)
    report = datetime.date(2026, 11, 27)
    requests = [
        rules.WarrantyRequest(
            purchase_date=report - datetime.timedelta(days=random.randint(0, 800)),
            report_date=report,
            fault=random.choice(
                [rules.Fault.QUALITY, rules.Fault.QUALITY, rules.Fault.CUSTOMER, rules.Fault.NONE]
            ),
            prior_repairs_same_fault=random.randint(0, 2),
        )
        for _ in range(1000)
    ]
    calendar = WorkingCalendar(confirmed_years=frozenset({2026}))
    zone = calendar.zone
    starts = [
        datetime.datetime(2026, 11, 27, 8, 0, tzinfo=zone)
        + datetime.timedelta(minutes=random.randint(0, 60 * 24 * 60))
        for _ in range(1000)
    ]
    hours = [random.choice([6, 7, 24, 72]) for _ in range(1000)]
    return {
        "warranty decisions (manufacturer preset)": rate(
            lambda i: rules.evaluate(rules.MANUFACTURER, requests[i % 1000])
        ),
        "warranty decisions (retail preset)": rate(
            lambda i: rules.evaluate(rules.RETAIL, requests[i % 1000])
        ),
        "add N working hours (N in 6, 7, 24, 72)": rate(
            lambda i: add_working_hours(calendar, starts[i % 1000], hours[i % 1000])
        ),
        "working hours between two instants (≤ 60 days apart)": rate(
            lambda i: working_hours_between(calendar, starts[i % 1000], starts[(i + 1) % 1000])
        ),
    }
