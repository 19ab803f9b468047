"""`make faults`: break the servers under load and check that nothing is lost or sent twice.

    python -m loadtest.faults [--scenario redis|worker|postgres|all] [--users 20] [--outage 60]

Starts a private PostgreSQL and Redis (loadtest.services), prepares a database on it
(loadtest.stack.prepare_database), runs gunicorn + a Celery worker + beat against them (loadtest.stack.Stack)
and, for each scenario, the load-run workload with locust while one fault happens:

- redis: the broker is stopped for `--outage` seconds and started again, empty (no persistence), while
  calls are logged and SLA deadlines fall due;
- worker: a few thousand deadlines fall due at once, a sweep starts, and the Celery worker (main process and
  pool) is killed with SIGKILL while the sweep's transaction is open; a new worker is started;
- postgres: the database server is shut down (fast: sessions cut) and started again `--pg-down` seconds
  later, without restarting gunicorn, the worker or beat.

Afterwards: every accepted write is in the database (loadtest.checks), every deadline made due has its
alert exactly once and each of its recipients one message about it, every delivery went out once (the
e-mails written by the worker equal the deliveries marked sent), the web answers counted per window.
Output under var/faults/<UTC timestamp>/; exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import django
import psycopg2
from celery import Celery
from django.db import connections
from redis import Redis

from loadtest.results import CheckResult, read_writes
from loadtest.services import PrivatePostgres, PrivateRedis, private_services, wait_until
from loadtest.stack import BIN, PYTHON, ROOT, Stack, app_environment, prepare_database, use_database

DATABASE = "aftersales_faults"
SCENARIOS = ("redis", "worker", "postgres")
# The fault description of the extra tickets whose deadlines the scenarios make due (HZ branch: the
# load's users work in SH, so nobody else touches them).
MARK = "故障注入:定时提醒"
BREACH = 2  # tickets.sla_models.AlertLevel.BREACH
# Deadlines made due in the redis and postgres scenarios; the worker scenario takes the rest.
SMALL_SET = 100
EMAIL_SEPARATOR = "-" * 79  # what Django's file-based e-mail backend writes after each message
# A phrase of templates/500.html: a failure the user sees explained, not a bare server error.
ERROR_PAGE_MARK = "系统出错"


# --- the faults database, read with plain SQL (this process runs no Django) ------------------------


class Database:
    """An autocommit connection that reconnects after the server went away."""

    def __init__(self, url: str) -> None:
        self.url, self.connection = url, None

    def rows(self, sql: str, params=()) -> list[tuple]:
        for attempt in (1, 2):
            try:
                if self.connection is None or self.connection.closed:
                    self.connection = psycopg2.connect(self.url, connect_timeout=5)
                    self.connection.autocommit = True
                with self.connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.description else []
            except psycopg2.OperationalError:
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def value(self, sql: str, params=()):
        return self.rows(sql, params)[0][0]

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self.connection.close()
        self.connection = None


def seed_due_tickets(count: int) -> None:
    """In a Django process: `count` calls logged through the real service on the HZ demo units (normal
    priority, so nobody is told at intake), then every user gets an e-mail address, so each alert has
    a delivery to count. Prints the running deadlines and the sweep's batch size as JSON."""
    django.setup()
    # Imported only now: this runs as a process of its own (`python -c`, see main), which sets Django up
    # first; the runner's own process never imports the models.
    from accounts.models import User
    from customers.models import Unit
    from tickets.models import TicketDeadline
    from tickets.services import CallDetails, log_call
    from tickets.sla_services import SWEEP_BATCH

    dispatcher = User.objects.get(username="hz_dispatcher")
    units = list(Unit.objects.filter(owner__branch__code="HZ").order_by("pk"))
    for index in range(count):
        # No category given: the product's own (the HZ units are not all appliances).
        details = CallDetails(fault_category="", fault_description=MARK)
        log_call(user=dispatcher, unit=units[index % len(units)], details=details)
    for user in User.objects.filter(email=""):
        user.email = f"{user.username}@faults.invalid"
        user.save(update_fields=["email"])
    deadlines = TicketDeadline.objects.filter(ticket__fault_description=MARK, active=True).count()
    print(json.dumps({"deadlines": deadlines, "batch": SWEEP_BATCH}))


def seed_in_process(env: dict[str, str], count: int) -> dict:
    """seed_due_tickets in a Django process of its own with `env`: its facts (deadlines, batch)."""
    seeded = subprocess.run(
        [PYTHON, "-c", f"from loadtest.faults import seed_due_tickets; seed_due_tickets({count})"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding the tickets to make due failed:\n{seeded.stderr}")
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def take_deadlines(db: Database, count: int) -> list[int]:
    """Running deadlines of the marked tickets that no scenario used yet."""
    return [
        pk
        for (pk,) in db.rows(
            "SELECT d.id FROM tickets_ticketdeadline d JOIN tickets_repairticket t ON t.id = d.ticket_id"
            " WHERE t.fault_description = %s AND d.active AND d.alert_level = 0 ORDER BY d.id LIMIT %s",
            (MARK, count),
        )
    ]


def make_due(db: Database, ids: list[int], due_at: datetime.datetime) -> None:
    """Breached at `due_at`, escalated much later: the sweep owes each one a breach alert."""
    db.rows(
        "UPDATE tickets_ticketdeadline SET warn_at = %(due)s - interval '1 hour', due_at = %(due)s,"
        " escalate_at = %(due)s + interval '30 days' WHERE id = ANY(%(ids)s)",
        {"due": due_at, "ids": ids},
    )


def alerted(db: Database, ids: list[int]) -> int:
    return db.value(
        "SELECT count(*) FROM tickets_slaalert WHERE level = %s AND deadline_id = ANY(%s)", (BREACH, ids)
    )


def untried_deliveries(db: Database, due_before: float | None = None) -> int:
    """Deliveries never attempted that were due before `due_before` (a time.time(); default now)."""
    return db.value(
        "SELECT count(*) FROM notifications_delivery WHERE status = 'pending' AND attempts = 0"
        " AND next_attempt_at <= coalesce(to_timestamp(%s), now())",
        (due_before,),
    )


def delivered(db: Database, ids: list[int], due_before: float) -> bool:
    """All of `ids` alerted, and every delivery due before `due_before` attempted (the load goes on
    queuing new ones meanwhile)."""
    return alerted(db, ids) == len(ids) and untried_deliveries(db, due_before) == 0


def alert_checks(db: Database, ids: list[int]) -> list[CheckResult]:
    """Each deadline of `ids` made due: one breach alert row, and each recipient (the HZ dispatchers and
    supervisors) told about it once, in a message of its own or a line of a digest."""
    alerts = Counter(
        deadline
        for (deadline,) in db.rows(
            "SELECT deadline_id FROM tickets_slaalert WHERE level = %s AND deadline_id = ANY(%s)",
            (BREACH, ids),
        )
    )
    doubled = db.value(
        "SELECT count(*) FROM (SELECT 1 FROM tickets_slaalert GROUP BY deadline_id, level"
        " HAVING count(*) > 1) twice"
    )
    recipients = [
        pk
        for (pk,) in db.rows(
            "SELECT DISTINCT u.id FROM accounts_user u JOIN accounts_branch b ON b.id = u.branch_id"
            " JOIN accounts_user_groups ug ON ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id"
            " WHERE u.is_active AND b.code = 'HZ' AND g.name IN ('dispatcher', 'supervisor')"
        )
    ]
    notifications = db.rows(
        "SELECT recipient_id, key, body FROM notifications_notification WHERE key = ANY(%s) OR key = ANY(%s)",
        ([f"sla:{pk}:{BREACH}" for pk in ids], [f"sla-digest:sla:{pk}:{BREACH}" for pk in ids]),
    )
    return judge_alerts(ids, alerts, doubled, recipients, notifications)


def judge_alerts(
    ids: list[int],
    alerts: Counter,
    doubled: int,
    recipients: list[int],
    notifications: list[tuple[int, str, str]],
) -> list[CheckResult]:
    """`alerts`: breach alert rows per deadline of `ids`; `doubled`: deadline/level pairs alerted more
    than once anywhere; `notifications`: (recipient, key, body) of the messages about them (a digest's
    body has a line per deadline)."""
    missing = [pk for pk in ids if not alerts[pk]]
    twice = [pk for pk in ids if alerts[pk] > 1]
    told: Counter[int] = Counter()
    for recipient, key, body in notifications:
        told[recipient] += len(body.splitlines()) if key.startswith("sla-digest:") else 1
    wrong = {pk: told[pk] for pk in recipients if told[pk] != len(ids)}
    return [
        CheckResult(
            "alerts",
            not missing and not twice,
            f"{len(ids)} deadlines due, {sum(alerts[pk] for pk in ids)} breach alerts"
            + (f"; none for {len(missing)}" if missing else "")
            + (f"; more than one for {len(twice)}" if twice else ""),
        ),
        CheckResult("no alert twice", doubled == 0, f"{doubled} deadline/level pairs alerted twice"),
        CheckResult(
            "each recipient told once per deadline",
            bool(recipients) and not wrong,
            f"{len(recipients)} recipients × {len(ids)} deadlines"
            + (f"; told instead: {wrong}" if wrong else ""),
        ),
    ]


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# --- the load ------------------------------------------------------------------------------------


class Load:
    """The workload in a headless locust process, each request logged by loadtest/requestlog.py."""

    def __init__(self, url: str, users: int, directory: Path, writes: Path, max_seconds: float) -> None:
        self.url, self.users, self.directory, self.max_seconds = url, users, directory, max_seconds
        self.writes = writes
        self.requests_path = directory / "requests.jsonl"
        self.process: subprocess.Popen | None = None
        self.started = self.stopped = 0.0

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LOADTEST_WRITES": str(self.writes),
            "LOADTEST_REQUESTS": str(self.requests_path),
        }
        locustfiles = f"{ROOT / 'loadtest' / 'locustfile.py'},{ROOT / 'loadtest' / 'requestlog.py'}"
        command = [
            str(BIN / "locust"),
            "-f",
            locustfiles,
            "--headless",
            "--users",
            str(self.users),
            "--spawn-rate",
            str(self.users),
            "--host",
            self.url,
            "--run-time",
            f"{int(self.max_seconds)}s",
            "--stop-timeout",
            "10",
            "--csv",
            str(self.directory / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        with (self.directory / "locust.log").open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started = time.time()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        self.stopped = time.time()

    def requests(self) -> list[dict]:
        if not self.requests_path.exists():
            return []
        with self.requests_path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Tally:
    """The web's answers to the requests that started in one time window."""

    ok: int = 0  # 2xx, 3xx
    refused: int = 0  # 4xx (form errors, stale versions, out of stock: the workload expects some)
    error_page: int = 0  # 5xx showing templates/500.html
    bare_5xx: int = 0  # 5xx without it (a proxy's or a framework's page, a traceback)
    no_answer: int = 0  # connection refused, reset or timed out
    latencies: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, requests: list[dict]) -> Tally:
        tally = cls()
        for request in requests:
            status = request["status"]
            if status == 0:
                tally.no_answer += 1
            elif status >= 500:
                if request["page"] == "error_page":
                    tally.error_page += 1
                else:
                    tally.bare_5xx += 1
            elif status >= 400:
                tally.refused += 1
            else:
                tally.ok += 1
                tally.latencies.append(request["ms"])
        return tally

    @property
    def total(self) -> int:
        return self.ok + self.refused + self.error_page + self.bare_5xx + self.no_answer

    def line(self, label: str) -> str:
        timing = ""
        if self.latencies:
            ordered = sorted(self.latencies)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            timing = (
                f"; ok median {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms"
            )
        return (
            f"  {label:<7} {self.total:>6} requests: {self.ok} ok, {self.refused} refused (4xx), "
            f"{self.error_page} error page (5xx), {self.bare_5xx} other 5xx, {self.no_answer} no answer{timing}"
        )


def page_kind(status: int, text: str) -> str:
    """What a 5xx showed (loadtest/requestlog.py records it): the app's error page or something else."""
    if status < 500:
        return ""
    if ERROR_PAGE_MARK in text:
        return "error_page"
    return "traceback" if "Traceback" in text else "other"


def by_window(requests: list[dict], start: float, end: float) -> dict[str, list[dict]]:
    """Before: answered before the fault began; after: sent after it ended; during: in flight at some
    moment of it (a request cut by the fault counts there, not where it started)."""
    windows: dict[str, list[dict]] = {"before": [], "during": [], "after": []}
    for request in requests:
        if request["t"] + request["ms"] / 1000 < start:
            windows["before"].append(request)
        elif request["t"] >= end:
            windows["after"].append(request)
        else:
            windows["during"].append(request)
    return windows


def first_success_after(requests: list[dict], moment: float) -> float | None:
    starts = [r["t"] for r in requests if r["t"] >= moment and 0 < r["status"] < 400]
    return min(starts) - moment if starts else None


# --- one run -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def expect(self, ok: bool, name: str, detail: str) -> None:
        self.lines.append(f"  [{'ok' if ok else 'FAILED'}] {name}: {detail}")
        if not ok:
            self.failures.append(name)


class Run:
    def __init__(self, args, scenarios: tuple[str, ...], out: Path, log: Callable[[str], None]) -> None:
        self.args, self.scenarios, self.out, self.log = args, scenarios, out, log
        self.pg: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self.stack: Stack | None = None
        self.db: Database | None = None
        self.database_url = ""
        self.batch = 0

    # --- what every scenario does --------------------------------------------------------------

    def load(self, name: str) -> Load:
        budget = self.args.warmup + self.args.outage + self.args.recovery_timeout + self.args.after + 120
        # One writes file for the whole run: the checks after each scenario judge every write so far (a
        # part issued in one scenario is still issued in the next).
        load = Load(self.stack.url, self.args.users, self.out / name, self.out / "writes.jsonl", budget)
        load.start()
        self.log(f"[{name}] load: {self.args.users} users; warm-up {self.args.warmup} s")
        time.sleep(self.args.warmup)
        return load

    def wait_delivered(self, ids: list[int], since: float) -> float | None:
        """Seconds from `since` (the fault's end) until all of `ids` are alerted and every delivery
        queued until then was attempted; None if that takes longer than --recovery-timeout."""
        assert self.db is not None
        if wait_until(lambda: delivered(self.db, ids, since), seconds=self.args.recovery_timeout, step=1):
            return time.time() - since
        return None

    def finish(self, outcome: Outcome, load: Load, fault: tuple[float, float], ids: list[int], **web) -> None:
        """Stop the load after its time after the fault, then count, check and write down."""
        assert self.db is not None and self.stack is not None
        fault_start, fault_end = fault
        time.sleep(max(0.0, fault_end + self.args.after - time.time()))
        load.stop()
        # What the load's last requests queued goes out now, or with the retry sweep (every minute).
        settled = wait_until(
            lambda: untried_deliveries(self.db) == 0, seconds=self.args.recovery_timeout, step=1
        )
        requests = load.requests()
        outcome.note(
            f"  fault   {clock(fault_start)} → {clock(fault_end)} UTC ({fault_end - fault_start:.1f} s)"
        )
        windows = {
            label: Tally.of(found) for label, found in by_window(requests, fault_start, fault_end).items()
        }
        for label, tally in windows.items():
            outcome.note(tally.line(label))
        recovery = first_success_after(requests, fault_end)
        outcome.note(
            "  first success after the fault: "
            + (f"{recovery:.1f} s after it ended" if recovery is not None else "none")
        )
        before, during, after = windows["before"], windows["during"], windows["after"]
        bad_before = before.error_page + before.bare_5xx + before.no_answer
        outcome.expect(
            bad_before == 0 and before.ok > 0,
            "web before the fault",
            f"{before.ok} ok, {bad_before} 5xx or no answer",
        )
        if web.get("errors_allowed_during"):
            outcome.expect(
                during.bare_5xx == 0 and during.no_answer == 0,
                "web during the fault",
                f"{during.error_page} requests got the error page, {during.bare_5xx} another 5xx, "
                f"{during.no_answer} no answer",
            )
        else:
            bad = during.error_page + during.bare_5xx + during.no_answer
            outcome.expect(bad == 0, "web during the fault", f"{during.ok} ok, {bad} 5xx or no answer")
        bad_after = after.error_page + after.bare_5xx + after.no_answer
        outcome.expect(
            bad_after == 0 and after.ok > 0 and recovery is not None,
            "web after the fault, same processes",
            f"{after.ok} ok, {bad_after} 5xx or no answer",
        )
        outcome.expect(settled, "deliveries settled", f"{untried_deliveries(self.db)} never attempted")
        self.check_alerts(outcome, ids)
        self.check_deliveries(outcome)
        told = Counter(
            (write["kind"], write["outcome"])
            for write in read_writes(load.writes)
            if fault_start <= write.get("t", 0) < fault_end and write["kind"] != "server_error"
        )
        kinds = sorted({kind for kind, _outcome in told})
        outcome.note(
            "  writes answered during the fault (accepted/refused/no clear answer): "
            + (
                ", ".join(f"{k} {told[k, 'accepted']}/{told[k, 'refused']}/{told[k, 'error']}" for k in kinds)
                or "none"
            )
        )
        created, sent, last = self.db.rows(
            "SELECT count(*), count(*) FILTER (WHERE d.status = 'sent'), max(extract(epoch FROM d.sent_at))"
            " FROM notifications_delivery d JOIN notifications_notification n ON n.id = d.notification_id"
            " WHERE n.created_at >= to_timestamp(%s) AND n.created_at < to_timestamp(%s)",
            (fault_start, fault_end),
        )[0]
        outcome.note(
            f"  deliveries of messages stored during the fault: {created}, {sent} sent"
            + (f", the last at {float(last) - fault_end:+.0f} s from the fault's end" if last else "")
        )
        for check in writes_checks(self.database_url, load.writes):
            # A 5xx is allowed while PostgreSQL is down (the windows above say when and which page).
            if not (web.get("errors_allowed_during") and check.name == SERVER_ERRORS_CHECK):
                outcome.expect(check.ok, check.name, check.detail)

    def check_alerts(self, outcome: Outcome, ids: list[int]) -> None:
        assert self.db is not None
        for check in alert_checks(self.db, ids):
            outcome.expect(check.ok, check.name, check.detail)

    def check_deliveries(self, outcome: Outcome) -> None:
        """No notification has two deliveries on a channel, and the e-mails the worker wrote are as many
        as the e-mail deliveries marked sent (one more would be a message sent twice)."""
        assert self.db is not None and self.stack is not None
        twice = self.db.value(
            "SELECT count(*) FROM (SELECT 1 FROM notifications_delivery GROUP BY notification_id, channel"
            " HAVING count(*) > 1) twice"
        )
        statuses = dict(self.db.rows("SELECT status, count(*) FROM notifications_delivery GROUP BY status"))
        sent = self.db.value(
            "SELECT count(*) FROM notifications_delivery WHERE channel = 'email' AND status = 'sent'"
        )
        written = count_emails(self.stack.log_dir / "mail")
        outcome.expect(twice == 0, "one delivery per channel", f"deliveries by status {statuses}")
        outcome.expect(
            written == sent, "each e-mail sent once", f"{written} e-mails written, {sent} deliveries sent"
        )

    # --- the scenarios --------------------------------------------------------------------------

    def scenario_redis(self) -> Outcome:
        outcome, args = Outcome("redis"), self.args
        assert self.db is not None and self.redis is not None and self.stack is not None
        ids = take_deadlines(self.db, SMALL_SET)
        pids = (self.stack.web_worker_pids(), self.stack.processes["worker"].pid)
        load = self.load("redis")
        try:
            # They fall due halfway through the outage, while beat cannot reach the worker.
            make_due(self.db, ids, now_utc() + datetime.timedelta(seconds=args.outage / 2))
            start = time.time()
            self.redis.stop()
            self.log(f"[redis] Redis stopped; {len(ids)} deadlines fall due in {args.outage / 2:.0f} s")
            time.sleep(args.outage)
            self.redis.start()
            end = time.time()
            self.log("[redis] Redis started again (empty)")
            took = self.wait_delivered(ids, end)
            outcome.expect(
                took is not None,
                "alerts after recovery",
                f"all {len(ids)} alerted and every delivery attempted {took:.0f} s after Redis returned"
                if took is not None
                else f"not within {args.recovery_timeout} s",
            )
            self.finish(outcome, load, (start, end), ids)
        finally:
            load.stop()
        same = pids == (self.stack.web_worker_pids(), self.stack.processes["worker"].pid)
        outcome.expect(same, "no process restarted", "gunicorn workers and the Celery worker kept their pids")
        return outcome

    def scenario_worker(self) -> Outcome:
        outcome, args = Outcome("worker"), self.args
        assert self.db is not None and self.redis is not None and self.stack is not None
        ids = take_deadlines(self.db, 10**6)[: -SMALL_SET if "postgres" in self.scenarios else None]
        load = self.load("worker")
        try:
            make_due(self.db, ids, now_utc() - datetime.timedelta(minutes=5))
            with Celery("faults", broker=self.redis.url(0)) as app:
                # A bare app knows no routes: name the queue the project routes the sweep to.
                app.send_task("tickets.tasks.sla_sweep", queue="alerts")
            partial = len(ids) > self.batch  # then wait until one batch is committed and the next one open
            self.log(f"[worker] {len(ids)} deadlines due, sweep sent (batch {self.batch}); watching it")
            caught = wait_until(lambda: sweep_in_flight(self.db, ids, partial), seconds=120, step=0.02)
            start = time.time()
            self.stack.kill_worker(signal.SIGKILL)
            committed = alerted(self.db, ids)
            unacked = unacked_sweeps(self.redis)
            self.log(f"[worker] worker killed with SIGKILL; {committed} of {len(ids)} alerts committed")
            outcome.expect(
                caught and committed < len(ids),
                "killed in the middle of a sweep",
                f"{committed} of {len(ids)} breach alerts committed when the worker died"
                f" (sweeps commit {self.batch} at a time)",
            )
            self.stack.start_worker()
            ready = wait_until(lambda: worker_answers(self.redis), seconds=args.recovery_timeout, step=0.5)
            end = time.time()
            outcome.expect(ready, "new worker", f"answered {end - start:.1f} s after the kill")
            took = self.wait_delivered(ids, end)
            outcome.expect(
                took is not None,
                "alerts after recovery",
                f"all {len(ids)} alerted and every delivery attempted {took:.0f} s after the new worker started"
                if took is not None
                else f"not within {args.recovery_timeout} s",
            )
            still = unacked_sweeps(self.redis)
            if still:
                who = "beat's next sweep finished the job (Redis gives an unacked message back after its one-hour visibility timeout)"
            elif unacked:
                who = "the message came back and the sweep was run again"
            else:
                who = "no sweep message was left unacked"
            outcome.note(
                f"  the killed sweep's message: {unacked} unacked sweep(s) in Redis after the kill, {still} still"
                f" at the end: {who}"
            )
            self.finish(outcome, load, (start, end), ids)
        finally:
            load.stop()
        return outcome

    def scenario_postgres(self) -> Outcome:
        outcome, args = Outcome("postgres"), self.args
        assert self.db is not None and self.pg is not None and self.stack is not None
        ids = take_deadlines(self.db, SMALL_SET)
        pids = (self.stack.web_worker_pids(), self.stack.processes["worker"].pid)
        load = self.load("postgres")
        try:
            start = time.time()
            self.log(f"[postgres] fast shutdown, {args.pg_down} s down, start")
            self.pg.restart(down_seconds=args.pg_down)
            end = time.time()
            self.db.close()
            # Only now due: alerting them proves beat → worker → database works again.
            make_due(self.db, ids, now_utc() - datetime.timedelta(minutes=1))
            took = self.wait_delivered(ids, end)
            outcome.expect(
                took is not None,
                "alerts after recovery",
                f"{len(ids)} deadlines made due after the restart: alerted and delivered within {took:.0f} s"
                if took is not None
                else f"not within {args.recovery_timeout} s",
            )
            self.finish(outcome, load, (start, end), ids, errors_allowed_during=True)
        finally:
            load.stop()
        same = pids == (self.stack.web_worker_pids(), self.stack.processes["worker"].pid)
        outcome.expect(same, "no process restarted", "gunicorn workers and the Celery worker kept their pids")
        return outcome


SERVER_ERRORS_CHECK = "no response with status ≥ 500"


def writes_checks(database_url: str, writes: Path):
    """loadtest.checks in this process, on a fresh connection (the server may have restarted since)."""
    use_database(database_url)
    # Imported only now: this process sets Django up on the faults database (the line above) once the
    # database exists, and the checks import the models.
    from loadtest.checks import run_checks

    connections.close_all()
    return run_checks(database_url, writes)


def sweep_in_flight(db: Database, ids: list[int], partial: bool) -> bool:
    """A sweep holds an open transaction that inserted alerts (not committed yet); with `partial`, an
    earlier batch of it is committed already."""
    open_insert = db.value(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE c.relname = 'tickets_slaalert' AND l.mode = 'RowExclusiveLock' AND l.granted"
    )
    return bool(open_insert) and (not partial or alerted(db, ids) > 0)


def worker_answers(redis: PrivateRedis) -> bool:
    """Some Celery worker answers a ping on the broker (it is connected and consuming)."""
    with Celery("faults", broker=redis.url(0)) as app:
        return bool(app.control.ping(timeout=1))


def unacked_sweeps(redis: PrivateRedis) -> int:
    """Sweep messages taken by a worker and not acknowledged (kombu's `unacked` hash)."""
    client = Redis.from_url(redis.url(0), socket_connect_timeout=2)
    return sum(b"tickets.tasks.sla_sweep" in payload for payload in client.hvals("unacked"))


def count_emails(directory: Path) -> int:
    if not directory.exists():
        return 0
    return sum(
        line == EMAIL_SEPARATOR
        for path in directory.iterdir()
        for line in path.read_text(errors="replace").splitlines()
    )


def clock(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%H:%M:%S")


def machine() -> str:
    memory = next(
        int(line.split()[1]) // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, {memory / 1024:.1f} GB RAM, load average {load}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest.faults", description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--users", type=int, default=20, help="simulated users during each fault")
    parser.add_argument("--outage", type=float, default=60, help="seconds without Redis")
    parser.add_argument(
        "--pg-down", type=float, default=10, help="seconds between PostgreSQL's stop and start"
    )
    parser.add_argument("--warmup", type=float, default=20, help="seconds of load before each fault")
    parser.add_argument("--after", type=float, default=60, help="seconds of load at least after each fault")
    parser.add_argument(
        "--recovery-timeout", type=float, default=300, help="bound of every wait for recovery"
    )
    parser.add_argument(
        "--sweep-tickets",
        type=int,
        default=4000,
        help="tickets whose deadlines the worker scenario makes due",
    )
    parser.add_argument(
        "--beat-seconds", type=float, default=60, help="period of the SLA sweep and the delivery retry (beat)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    started = now_utc()
    out = ROOT / "var" / "faults" / started.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    summary = out / "summary.txt"

    def log(text: str) -> None:
        print(text, flush=True)
        with summary.open("a", encoding="utf-8") as file:
            file.write(text + "\n")

    # SIGTERM unwinds like Ctrl-C, so the servers and processes are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "python -m loadtest.faults " + shlex.join(sys.argv[1:] if argv is None else argv)
    log(f"make faults — {started:%Y-%m-%d %H:%M} UTC — {os.uname().nodename}: {machine()}")
    log(f"command: {command.strip()}")
    run = Run(args, scenarios, out, log)
    outcomes: list[Outcome] = []
    with private_services(out / "servers", log=log) as (pg, redis):
        run.pg, run.redis = pg, redis
        run.database_url = pg.url(DATABASE)
        prepare_database(run.database_url, log=log)
        env = app_environment(run.database_url, redis.url(0), AFTERSALES_VAR_DIR=str(out / "seed"))
        facts = seed_in_process(env, args.sweep_tickets)
        run.batch = facts["batch"]
        log(f"{args.sweep_tickets} extra HZ tickets with {facts['deadlines']} running deadlines to make due")
        run.db = Database(run.database_url)
        beat = str(args.beat_seconds)
        stack = Stack(
            run.database_url,
            redis.url(0),
            log_dir=out / "stack",
            extra_env={"SLA_SWEEP_SECONDS": beat, "DELIVERY_RETRY_SECONDS": beat},
        )
        with stack:
            run.stack = stack
            log(f"gunicorn, worker and beat on {stack.url} (logs in {stack.log_dir})")
            for name in scenarios:
                log(f"--- scenario {name}")
                outcome = getattr(run, f"scenario_{name}")()
                outcomes.append(outcome)
                for line in outcome.lines:
                    log(line)
        run.db.close()
    log("--- summary")
    for outcome in outcomes:
        log(
            f"  {outcome.name:<9} {'ok' if not outcome.failures else 'FAILED: ' + ', '.join(outcome.failures)}"
        )
    log(f"finished {now_utc():%H:%M} UTC; files in {out.relative_to(ROOT)}")
    return 0 if outcomes and not any(outcome.failures for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
