"""`make scale`: the app on two of everything on this machine, one of each killed in turn under the soak
workload, then the checks.

    python -m loadtest.scale [--users 20] [--minutes 4] [--spawn-rate 5] [--no-restart]

Runs two stacks (loadtest.stack.Stack: gunicorn + Celery worker consuming every queue + beat with the
leader lock, aftersales.beat) on one database of the machine's PostgreSQL, its streaming replica on
127.0.0.1:$REPLICA_PORT (5434; scripts/replica.sh) as REPLICA_DATABASE_URL, one Redis database as the
broker and a local S3 server (moto, loadtest.services.LocalS3) as STORAGE_URL; the soak's workload
(loadtest/locustfile.py) goes through a round-robin proxy (loadtest.proxy) in front of the two web
instances. During the load: web instance A is killed (SIGKILL, with its workers), then worker B, then
the beat that leads; each is started again DOWN_SECONDS later (not with --no-restart).

Checks: the soak's (loadtest.checks: every accepted write stored once, stock = ledger, histories), with the
5xx answered inside a web kill's window (KILL_WINDOW seconds from the kill: requests in flight on the
killed instance that the proxy could not send again) counted apart; SLA deadlines made due around the
beat kill alerted once each and each recipient told once (loadtest.faults.alert_checks), the sweep sent
on time by one leader at a time (sweep_check); signatures written through one web instance read through
the other (from the bucket); the report pages' reads counted on the replica. Output under
var/scale/<UTC timestamp>/; exit status 1 when a check fails. Everything started is stopped, and the
replica removed, however the run ends (Ctrl-C included).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import datetime
import itertools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import psycopg2
import redis
import requests

from aftersales.beat import LAST_RUN_KEY, LOCK_KEY
from loadtest import fixtures
from loadtest.faults import (
    Database,
    alert_checks,
    count_emails,
    make_due,
    seed_in_process,
    take_deadlines,
    untried_deliveries,
)
from loadtest.pages import CSRF
from loadtest.proxy import Answer, ProxyServer
from loadtest.results import CheckResult
from loadtest.services import LocalS3, StreamingReplica, s3_client, wait_until
from loadtest.soak import git_commit, locust_command, locust_environment, machine, stats_table
from loadtest.stack import ROOT, Stack, app_environment, free_port, prepare_database, use_database

DATABASE = os.environ.get("SCALE_DATABASE", "aftersales_scale")
PRIMARY = os.environ.get("SCALE_PRIMARY_URL", "postgres://postgres@127.0.0.1:5432")
BROKER_URL = os.environ.get("SCALE_BROKER_URL", "redis://127.0.0.1:6379/12")
REPLICA_PORT = int(os.environ.get("REPLICA_PORT", "5434"))
SWEEP_SECONDS = 10.0  # the SLA sweep's and the delivery retry's period (beat)
LOCK_SECONDS = 30.0  # BEAT_LOCK_SECONDS: a standby leads at most this long after the leader died
DOWN_SECONDS = 20.0  # a killed process is started again this long after
KILL_WINDOW = 10.0  # seconds after a web kill when a 5xx is expected (a request in flight on it)
DUE_DEADLINES = 60  # made due in six steps from 20 s before the beat kill to 30 s after it


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--no-restart", action="store_true", help="leave the killed processes dead")
    args = parser.parse_args(argv)
    if args.minutes < 2.5:
        parser.error("--minutes: at least 2.5 (the beat kill needs 90 s of load after it)")
    return args


# --- what runs beside the load ----------------------------------------------------------------------


class BeatWatch(threading.Thread):
    """Every half second: who holds the beat lock, and the SLA sweep's last send (aftersales.beat keeps
    both in Redis)."""

    def __init__(self, broker_url: str) -> None:
        super().__init__(daemon=True)
        self.broker_url = broker_url
        self.holders: list[tuple[float, str]] = []  # (time, token) at each change of the lock's holder
        self.sweeps: list[float] = []  # each distinct send time of the sweep
        self.stopped = threading.Event()

    def run(self) -> None:
        client = redis.Redis.from_url(self.broker_url, socket_timeout=5)
        while not self.stopped.wait(0.5):
            try:
                holder = (client.get(LOCK_KEY) or b"").decode()
                sent = client.hget(LAST_RUN_KEY, "sla-sweep")
            except redis.RedisError:
                continue
            if not self.holders or self.holders[-1][1] != holder:
                self.holders.append((time.time(), holder))
            if sent:
                moment = datetime.datetime.fromisoformat(sent.decode()).timestamp()
                if not self.sweeps or self.sweeps[-1] != moment:
                    self.sweeps.append(moment)


def leader_pid(client: redis.Redis) -> int | None:
    """The process id of the beat that holds the lock (its token is host:pid:random, aftersales.beat)."""
    token = (client.get(LOCK_KEY) or b"").decode()
    return int(token.split(":")[1]) if token.count(":") == 2 else None


def sweep_check(sweeps: list[float], holders: list[tuple[float, str]], killed: float | None) -> CheckResult:
    """The sweep kept its clock across the handover: another beat led after the kill, no gap between two
    sends longer than the lock's expiry + a standby's wait + one period (+5 s), and none shorter than
    half a period (two leaders sending at once)."""
    gaps = [later - earlier for earlier, later in itertools.pairwise(sweeps)]
    longest = LOCK_SECONDS + LOCK_SECONDS / 3 + SWEEP_SECONDS + 5
    before = [token for moment, token in holders if killed is None or moment < killed]
    after = [token for moment, token in holders if killed is not None and moment >= killed and token]
    took_over = bool(before) and any(token != before[-1] for token in after)
    ok = took_over and bool(gaps) and max(gaps) <= longest and min(gaps) >= SWEEP_SECONDS / 2
    detail = (
        f"{len(sweeps)} sweeps sent, gaps {min(gaps, default=0):.1f}–{max(gaps, default=0):.1f} s "
        f"(allowed {SWEEP_SECONDS / 2:.0f}–{longest:.0f} s); "
        + ("another beat led after the kill" if took_over else "no other beat took the lead after the kill")
    )
    if took_over and killed is not None:
        moment = next(m for m, token in holders if m >= killed and token and token != before[-1])
        detail += f" {moment - killed:.0f} s after it"
    return CheckResult("SLA sweep on time across the beat handover, one leader", ok, detail)


# --- the checks that look through the web instances ----------------------------------------------


def login(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base_url}/login/", timeout=30).text
    token = CSRF.search(page)
    response = session.post(
        f"{base_url}/login/",
        data={
            "username": username,
            "password": fixtures.PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} at {base_url} answered {response.status_code}")
    return session


SIGN_PATH = re.compile(r"^/tickets/(\d+)/report/sign/$")


def uploads_check(
    answers: list[Answer],
    db: Database,
    sessions: dict[str, requests.Session],
    endpoint: str,
    bucket: str,
    names: dict[str, str],
) -> CheckResult:
    """Each signature saved (a 200 to its POST, through the proxy) is read through the other web
    instance than the one that wrote it, and is the bucket's object, byte for byte."""
    writer = {}
    for answer in answers:
        found = SIGN_PATH.match(answer.path)
        if found and answer.method == "POST" and answer.status == 200 and answer.backend:
            writer[int(found.group(1))] = answer.backend
    rows = db.rows(
        "SELECT id, ticket_id, signature FROM tickets_servicereport WHERE signature <> '' AND ticket_id = ANY(%s)",
        (list(writer),),
    )
    client, wrong, read = s3_client(endpoint), [], Counter()
    for report, ticket, name in rows:
        other = next(url for url in sessions if url != writer[ticket])
        response = sessions[other].get(f"{other}/tickets/{ticket}/reports/{report}/signature.png", timeout=30)
        stored = client.get_object(Bucket=bucket, Key=f"media/{name}")["Body"].read()
        if response.status_code != 200 or response.content != stored or not stored.startswith(b"\x89PNG"):
            wrong.append(f"ticket {ticket}: status {response.status_code}, {len(response.content)} bytes")
        else:
            read[(writer[ticket], other)] += 1
    detail = (
        f"{len(writer)} signatures saved, {sum(read.values())} read through the other instance "
        + ", ".join(f"{names[w]}→{names[o]} {n}" for (w, o), n in sorted(read.items()))
    )
    if wrong:
        detail = f"{len(wrong)} wrong: " + "; ".join(wrong[:5]) + f" — {detail}"
    return CheckResult(
        "uploads written through one instance read through the other", bool(read) and not wrong, detail
    )


def replica_counts(replica_url: str) -> tuple[int, int]:
    """Transactions and rows read in the run's database on the replica (its own statistics)."""
    replica = Database(replica_url.rsplit("/", 1)[0] + "/postgres")
    try:
        rows = replica.rows(
            "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database"
            " WHERE datname = %s",
            (DATABASE,),
        )
    finally:
        replica.close()
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


def replica_check(before: tuple[int, int], after: tuple[int, int], answers: list[Answer]) -> CheckResult:
    """Report pages were served, and the replica ran at least one transaction per report page."""
    reports = sum(
        1 for a in answers if a.method == "GET" and a.path.startswith("/reports/") and a.status == 200
    )
    transactions, rows = after[0] - before[0], after[1] - before[1]
    return CheckResult(
        "report reads went to the replica",
        reports > 0 and transactions >= reports,
        f"{reports} report pages served; on the replica {transactions} transactions, {rows} rows read",
    )


def proxy_lines(
    answers: list[Answer], windows: list[tuple[float, float]], names: dict[str, str]
) -> list[str]:
    by_backend = Counter(names.get(a.backend, "no instance") for a in answers)
    retried = sum(1 for a in answers if a.tries > 1 and a.backend)
    errors = [a for a in answers if a.status >= 500]
    inside = sum(1 for a in errors if any(s <= a.t <= e for s, e in windows))
    return [
        f"proxy: {len(answers)} answers, "
        + ", ".join(f"{n} from {name}" for name, n in sorted(by_backend.items()))
        + f"; {retried} sent again to the other instance after a failure; {len(errors)} with status ≥ 500 "
        f"({inside} inside a kill window)"
    ]


# --- the run -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    out = ROOT / "var" / "scale" / started.strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True)

    def log(text: str) -> None:
        print(text, flush=True)

    # SIGTERM unwinds like Ctrl-C: every process is stopped and the replica removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    machine_before = machine()
    log(f"Scale run → {out.relative_to(ROOT)}; {machine_before}")
    database_url = f"{PRIMARY}/{DATABASE}"
    broker = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=3)
    broker.flushdb()  # this run's own index: an earlier run's tasks, lock and last runs go
    results: list[CheckResult] = []
    events: list[str] = []
    windows: list[tuple[float, float]] = []
    with contextlib.ExitStack() as cleanup:
        replica = StreamingReplica(REPLICA_PORT, log=log)
        cleanup.callback(replica.remove)
        log(f"Streaming replica on 127.0.0.1:{REPLICA_PORT} (scripts/replica.sh) …")
        replica.create()
        s3 = LocalS3(out / "moto.log")
        s3.start()
        cleanup.callback(s3.stop)
        bucket = f"aftersales-scale-{uuid.uuid4().hex[:8]}"
        storage_env = s3.create_bucket(bucket)
        log(f"Local S3 server (moto) at {s3.endpoint}, bucket {bucket}")
        prepare_database(database_url, log=log, extra_env=storage_env)
        seed_env = app_environment(
            database_url, BROKER_URL, AFTERSALES_VAR_DIR=str(out / "seed"), **storage_env
        )
        seed_in_process(seed_env, DUE_DEADLINES)
        replica_url = replica.url(DATABASE)
        if not wait_until(
            lambda: on_replica(replica_url, "SELECT count(*) FROM django_migrations"), seconds=300, step=1
        ):
            raise RuntimeError(f"the replica did not receive {DATABASE} within 300 s")
        db = Database(database_url)
        cleanup.callback(db.close)
        ids = take_deadlines(db, DUE_DEADLINES)

        proxy_port = free_port()
        env = {
            **storage_env,
            "SITE_URL": f"http://127.0.0.1:{proxy_port}",
            "REPLICA_DATABASE_URL": replica_url,
            "SLA_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "DELIVERY_RETRY_SECONDS": str(SWEEP_SECONDS),
            "BEAT_LOCK_SECONDS": str(LOCK_SECONDS),
        }
        stacks = [
            Stack(database_url, BROKER_URL, log_dir=out / name, extra_env=env, worker_concurrency=1)
            for name in ("a", "b")
        ]
        for stack in stacks:
            stack.log_dir.mkdir(parents=True)
            cleanup.callback(stack.stop)
        with concurrent.futures.ThreadPoolExecutor(len(stacks)) as starting:  # both boot at once
            for booting in [starting.submit(stack.start) for stack in stacks]:
                booting.result()
        a, b = stacks
        names = {a.url: "web A", b.url: "web B"}
        log(
            f"Web A {a.url}, web B {b.url}; each with a Celery worker and a beat (logs in {out.relative_to(ROOT)}/a, b)"
        )
        proxy = ProxyServer([a.url, b.url], port=proxy_port)
        cleanup.enter_context(proxy)
        log(f"Round-robin proxy at {proxy.url}")
        watch = BeatWatch(BROKER_URL)
        watch.start()
        cleanup.callback(watch.stopped.set)

        seconds = args.minutes * 60
        moments = {"web": 0.2 * seconds, "worker": 0.4 * seconds, "beat": 0.58 * seconds}
        load_started = time.time()
        beat_kill = load_started + moments["beat"]
        # Six steps from 20 s before the beat's kill to 30 s after it: some fall due while nobody leads.
        for step in range(6):
            due = datetime.datetime.fromtimestamp(beat_kill - 20 + 10 * step, datetime.UTC)
            make_due(db, ids[step::6], due)
        replica_before = replica_counts(replica_url)
        writes, csv_prefix = out / "writes.jsonl", out / "locust"
        log(
            f"Load: {args.users} users for {args.minutes:g} min through the proxy; kills at "
            + ", ".join(f"{name} {moment:.0f} s" for name, moment in moments.items())
        )
        locust_log = (out / "locust.log").open("w")
        cleanup.callback(locust_log.close)
        locust = subprocess.Popen(
            locust_command(proxy.url, args.users, args.spawn_rate, args.minutes, csv_prefix),
            cwd=ROOT,
            env=locust_environment(writes, args.users),
            stdout=locust_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cleanup.callback(stop_process, locust)

        def at(offset: float) -> None:
            time.sleep(max(0.0, load_started + offset - time.time()))

        def event(text: str) -> None:
            line = f"{time.time() - load_started:6.1f} s  {text}"
            events.append(line)
            log(f"  {line}")

        killed_beat_at = None
        for name in ("web", "worker", "beat"):
            at(moments[name])
            if name == "web":
                moment = time.time()
                a.kill("web")
                windows.append((moment, moment + KILL_WINDOW))
                event(f"web A killed (SIGKILL, master and workers); 5xx window until +{KILL_WINDOW:.0f} s")
            elif name == "worker":
                b.kill("worker")
                event("worker B killed (SIGKILL, with its pool)")
            else:
                pid = leader_pid(broker)
                leader = next((s for s in stacks if s.pid("beat") == pid), None)
                if leader is None:
                    event(f"no running beat holds the lock (pid {pid}): nothing to kill")
                    continue
                killed_beat_at = time.time()
                leader.kill("beat")
                event(f"leading beat ({'A' if leader is a else 'B'}, pid {pid}) killed (SIGKILL)")
            if not args.no_restart:
                time.sleep(DOWN_SECONDS)
                if name == "web":
                    a.start_web()
                    event("web A started again and answering")
                elif name == "worker":
                    b.start_worker()
                    event("worker B started again")
                else:
                    leader.start_beat()
                    event("the killed beat started again (standing by)")
        locust.wait()
        event("load finished")
        settled = wait_until(
            lambda: untried_deliveries(db) == 0 and len(alert_rows(db, ids)) >= len(ids), seconds=180, step=1
        )
        event("alerts and deliveries settled" if settled else "alerts or deliveries not settled within 180 s")
        time.sleep(2)  # the replica's statistics reach its view within a second or so
        answers = list(proxy.balancer.answers)
        with (out / "proxy.jsonl").open(
            "w"
        ) as file:  # every answer: time, method, path, instance, status, tries
            file.writelines(json.dumps(dataclasses.asdict(answer)) + "\n" for answer in answers)
        reader = fixtures.usernames("supervisor")[0]
        sessions = {stack.url: login(stack.url, reader) for stack in stacks}
        results.append(uploads_check(answers, db, sessions, s3.endpoint, bucket, names))
        results.append(replica_check(replica_before, replica_counts(replica_url), answers))
        watch.stopped.set()
        watch.join()
        results += alert_checks(db, ids)
        results.append(sweep_check(watch.sweeps, watch.holders, killed_beat_at))
        sent = db.value(
            "SELECT count(*) FROM notifications_delivery WHERE channel = 'email' AND status = 'sent'"
        )
        written = sum(count_emails(stack.log_dir / "mail") for stack in stacks)
        results.append(
            CheckResult(
                "each e-mail sent once", written == sent, f"{written} e-mails written, {sent} deliveries sent"
            )
        )
        lag = on_replica(
            replica_url, "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric(8, 1)"
        )
    use_database(database_url)
    # Imported only now: this process sets Django up on the run's database (the line above) after the load.
    from loadtest.checks import delivery_counts, run_checks

    results = (
        run_checks(database_url, writes, locust_csv=csv_prefix, windows=windows, load_started=load_started)
        + results
    )
    finished = datetime.datetime.now(datetime.UTC)
    command = shlex.join(["python", "-m", "loadtest.scale", *(argv if argv is not None else sys.argv[1:])])
    summary = [
        f"Scale run {started:%Y-%m-%d %H:%M} – {finished:%H:%M} UTC ({(finished - started).total_seconds() / 60:.1f} min)",
        f"command: {command} ({args.users} users, {args.minutes:g} min of load)",
        f"machine before: {machine_before}",
        f"machine after:  {machine()}",
        f"layout: 2 × (gunicorn {a.web_workers} workers × {a.threads} threads, Celery worker concurrency "
        f"{a.worker_concurrency} on every queue, beat with the leader lock) behind a round-robin proxy; "
        f"PostgreSQL 127.0.0.1:5432/{DATABASE} + streaming replica :{REPLICA_PORT} (replay lag at the end {lag} s); "
        f"Redis {BROKER_URL.rsplit('@', 1)[-1]}; moto S3 bucket",
        f"commit: {git_commit()}",
        "",
        "events (seconds from the start of the load):",
        *(f"  {line}" for line in events),
        *proxy_lines(answers, windows, names),
        "",
        *stats_table(csv_prefix),
        "",
        *(f"{'ok     ' if r.ok else 'FAILED '} {r.name}: {r.detail}" for r in results),
        f"(workers: {delivery_counts()})",
    ]
    text = "\n".join(summary)
    (out / "summary.txt").write_text(text + "\n")
    print("\n" + text)
    print(
        f"\nFiles: {out.relative_to(ROOT)}/ (summary.txt, locust_*.csv, writes.jsonl, proxy.jsonl, a/ b/ logs)"
    )
    return 0 if all(r.ok for r in results) else 1


def alert_rows(db: Database, ids: list[int]) -> list[tuple]:
    return db.rows("SELECT id FROM tickets_slaalert WHERE level = 2 AND deadline_id = ANY(%s)", (ids,))


def on_replica(replica_url: str, sql: str):
    """One value read on the replica, or None while it cannot answer (the database not replayed yet)."""
    replica = Database(replica_url)
    try:
        return replica.value(sql)
    except psycopg2.Error:
        return None
    finally:
        replica.close()


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
