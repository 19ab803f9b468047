"""`make bench BENCH_ARGS="--part http"`: the pages through gunicorn under load, on the bench database.

gunicorn (as `make run` and docker-compose start it: aftersales.gunicorn_conf) and a Celery worker serve
the seeded bench database; locust, in its own process on the same machine, plays 50 users for
5 minutes: dispatchers (lists, tickets, customer search, board, call intake), technicians (their jobs)
and supervisors (approvals inbox, KPI dashboard), each pausing 0.5–2 s between clicks. The figures are
those of the steady state: locust resets its statistics once all fifty have logged in and ten seconds
more have passed (the warm-up, printed apart: fifty password hashes hold both cores for its first
15–40 s), then measures for the minutes asked. The bench users get one password for the run; the calls
logged are removed afterwards, as in the page bench.
"""

from __future__ import annotations

import csv
import json
import os
import pathlib
import subprocess
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import Role, User
from loadtest.bench import pages
from loadtest.stack import BIN, ROOT, Stack
from reports.tasks import summarise_months
from tickets.models import RepairTicket, State

PASSWORD = "bench-http-only"
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
# Targets of issue #8: reads p95 ≤ 50 ms, writes ≤ 80 ms; the dashboard has its own (≤ 300 ms).
P95_TARGETS = {"call intake POST (existing unit)": 80, "KPI dashboard (this month)": 300}
READ_TARGET = 50
SAMPLES_PER_BRANCH = 200
MIXED = ("Dispatcher", "Technician", "Supervisor")  # the benchfile's office and field users
WARM_UP_LIMIT = 300  # seconds: the logins and the settling after them, whatever the machine


def plan() -> dict:
    """Who logs in, and per branch the tickets, units and phone prefixes they ask for."""
    User.objects.filter(username__startswith="bench-").update(password=make_password(PASSWORD))
    users: dict[str, list[dict]] = {"dispatcher": [], "technician": [], "supervisor": []}
    tickets, units, phones = {}, {}, {}
    for person in User.objects.filter(username__startswith="bench-").select_related("branch").order_by("pk"):
        role = next((r for r in users if person.has_role(Role(r))), None)
        if role is None:
            continue
        entry = {"username": person.username, "branch": person.branch.code}
        if role == "technician":
            entry["tickets"] = list(
                RepairTicket.objects.filter(technician=person, state__in=[State.DISPATCHED, State.ON_SITE])
                .order_by("pk")
                .values_list("pk", flat=True)[:20]
            )
        users[role].append(entry)
    with connection.cursor() as cursor:
        for code, branch_id in (
            User.objects.filter(username__startswith="bench-")
            .values_list("branch__code", "branch_id")
            .distinct()
        ):
            tickets[code] = _column(
                cursor, "SELECT id FROM tickets_repairticket WHERE branch_id = %s", branch_id
            )
            units[code] = _rows(
                cursor,
                "SELECT u.id, pm.category FROM customers_unit u JOIN customers_customer c ON c.id = u.owner_id"
                " JOIN customers_productmodel pm ON pm.id = u.product_model_id WHERE c.branch_id = %s",
                branch_id,
            )
            phones[code] = _column(
                cursor,
                "SELECT left(p.number, 7) FROM customers_customerphone p"
                " JOIN customers_customer c ON c.id = p.customer_id WHERE c.branch_id = %s",
                branch_id,
            )
    return {
        "password": PASSWORD,
        "floor": pages.FLOOR_PATH,
        "users": users,
        "tickets": tickets,
        "units": units,
        "phones": phones,
    }


def _rows(cursor, query: str, branch_id: int) -> list:
    cursor.execute(f"{query} ORDER BY random() LIMIT %s", [branch_id, SAMPLES_PER_BRANCH])
    return [list(row) for row in cursor.fetchall()]


def _column(cursor, query: str, branch_id: int) -> list:
    return [row[0] for row in _rows(cursor, query, branch_id)]


def run(*, users: int, minutes: float, log: Callable[[str], None]) -> bool:
    """Serve, load, report; True when every target was met and nothing failed."""
    out, last_seeded_ticket = prepare("bench-http-")
    database_url = os.environ["DATABASE_URL"]
    stack = Stack(database_url, BROKER_URL, log_dir=out, beat=False)
    log(
        f"gunicorn {stack.web_workers} workers × {stack.threads} threads at {stack.url}; locust: {users} users, "
        f"{minutes:g} min (logs in {out.relative_to(settings.BASE_DIR)})"
    )
    try:
        with stack:
            run_locust(
                stack,
                out,
                users=users,
                seconds=round(minutes * 60),
                classes=MIXED,
                name="locust",
                steady=True,
            )
    finally:
        pages.forget_tickets_after(last_seeded_ticket, log)
    log(warm_up(out / "locust.log"))
    lines, ok = table(out / "locust_stats.csv")
    for line in lines:
        log(line)
    return ok


def prepare(prefix: str) -> tuple[pathlib.Path, int]:
    """A log directory under var/ holding the plan, and the last seeded ticket (the calls a run logs come
    after it: `pages.forget_tickets_after` removes them). The KPI months are stored first, as the beat task
    `summarise_months` keeps them every 15 minutes in production (the stack runs without beat): else the
    dashboard counts twelve months live, the state of the first quarter hour after installation only."""
    summarise_months()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_repairticket")
        last_seeded_ticket = cursor.fetchone()[0]
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)  # a fresh checkout has none
    out = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir=settings.VAR_DIR))
    (out / "plan.json").write_text(json.dumps(plan()), encoding="utf-8")
    return out, last_seeded_ticket


def run_locust(
    stack: Stack,
    out: pathlib.Path,
    *,
    users: int,
    seconds: int,
    classes: tuple[str, ...],
    name: str,
    think: bool = True,
    steady: bool = False,
    spawn_rate: int = 10,
) -> pathlib.Path:
    """Play `users` of the benchfile's `classes` against the stack for `seconds`, in locust's own process;
    `think`: each user pauses 0.5–2 s between clicks, else none; `steady`: the statistics count `seconds`
    of the steady state after the warm-up (loadtest.steady), else the whole run. The plan is
    `out`/plan.json; locust's statistics go to `out`/`name`_stats.csv (returned), its output to `out`/`name`.log."""
    run_time = seconds + WARM_UP_LIMIT if steady else seconds
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "benchfile.py"), "--headless",
        "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", f"{run_time}s",
        "--host", stack.url, "--csv", str(out / name), "--only-summary", "--stop-timeout", "10", *classes,
    ]  # fmt: skip
    env = {
        **os.environ,
        "BENCH_HTTP_PLAN": str(out / "plan.json"),
        "BENCH_HTTP_THINK": "1" if think else "0",
        "BENCH_HTTP_MEASURE": str(seconds) if steady else "0",
    }
    with open(out / f"{name}.log", "w") as locust_log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=locust_log, stderr=subprocess.STDOUT, check=False)
    return out / f"{name}_stats.csv"


def warm_up(locust_log: pathlib.Path) -> str:
    """The warm-up's line of locust's log (loadtest.steady), or why there is none."""
    text = locust_log.read_text(encoding="utf-8") if locust_log.exists() else ""
    line = next((line for line in text.splitlines() if "warm-up of" in line), "")
    return line[line.index("warm-up of") :] if line else f"(no warm-up line: see {locust_log})"


def table(stats_csv: pathlib.Path) -> tuple[list[str], bool]:
    if not stats_csv.exists():
        return [f"(no statistics: see {stats_csv.parent / 'locust.log'})"], False
    rows = {row["Name"]: row for row in csv.DictReader(stats_csv.open(encoding="utf-8"))}
    header = f"{'page':<42}{'requests':>9}{'failed':>8}{'median ms':>11}{'p95 ms':>8}{'req/s':>8}  target"
    lines, ok = [header, "-" * (len(header) + 20)], True
    for name, row in rows.items():
        if name in ("Aggregated", "login", "login page"):
            continue
        p95, failures = float(row["95%"]), int(row["Failure Count"])
        target = P95_TARGETS.get(name, READ_TARGET)
        verdict = "ok" if p95 <= target and not failures else "MISSED"
        ok &= verdict == "ok"
        lines.append(
            f"{name:<42}{int(row['Request Count']):>9}{failures:>8}{float(row['Median Response Time']):>11.0f}"
            f"{p95:>8.0f}{float(row['Requests/s']):>8.1f}  p95 ≤ {target} ms {verdict}"
        )
    total = rows.get("Aggregated")
    if total:
        failures = int(total["Failure Count"])
        ok &= failures == 0
        lines.append(
            f"{'all requests':<42}{int(total['Request Count']):>9}{failures:>8}"
            f"{float(total['Median Response Time']):>11.0f}{float(total['95%']):>8.0f}"
            f"{float(total['Requests/s']):>8.1f}  zero errors {'ok' if failures == 0 else 'MISSED'}"
        )
    lines.append(
        "Times as locust measured them on loopback (network, gunicorn and Django), locust sharing the 2 cores;"
        " with --part http, of the steady state after the warm-up above."
    )
    return lines, ok
