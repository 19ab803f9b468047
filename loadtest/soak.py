"""`make soak`: 50 users for 10 minutes against gunicorn + Celery worker + beat on PostgreSQL and Redis,
then the consistency checks (loadtest.checks) and the web workers' memory.

    python -m loadtest.soak [--users 50] [--minutes 10] [--spawn-rate 10] [--keep]

Everything a run writes goes to var/soak/<UTC timestamp>/: the processes' logs, locust's CSV files, the
writes file and summary.txt (the table printed at the end). Exit status 1 when any check fails.

Memory rule: every gunicorn worker's RSS is sampled every 15 s; a worker fails the check when its RSS at
the end is more than MEMORY_GROWTH_MB above its RSS at half time (the first half is warm-up: imports,
template and query caches), or when a worker was replaced during the run (a crash or a timeout kill).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import threading
import time

import psycopg2
import redis

from loadtest.results import CheckResult, read_writes
from loadtest.stack import BIN, ROOT, Stack, prepare_database, use_database

DATABASE_URL = os.environ.get("SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales_soak")
BROKER_URL = os.environ.get("SOAK_BROKER_URL", "redis://127.0.0.1:6379/11")
# A fixed port for the web server (say, to keep runs of several people on one machine apart); free one if unset.
PORT = os.environ.get("SOAK_PORT")
SAMPLE_SECONDS = 15
MEMORY_GROWTH_MB = 15.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the soak database as it is instead of recreating it"
    )
    return parser.parse_args(argv)


def check_services() -> None:
    """PostgreSQL and Redis are the machine's services: say so clearly when one is not there."""
    try:
        psycopg2.connect(DATABASE_URL.rsplit("/", 1)[0] + "/template1", connect_timeout=3).close()
    except psycopg2.OperationalError as exc:
        sys.exit(f"PostgreSQL is not reachable for {DATABASE_URL} (set SOAK_DATABASE_URL): {exc}")
    try:
        client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=3)
        client.flushdb()  # this run's own database index: leftover tasks of an earlier run go
    except redis.exceptions.ConnectionError as exc:
        sys.exit(f"Redis is not reachable at {BROKER_URL} (set SOAK_BROKER_URL): {exc}")


class MemorySampler(threading.Thread):
    """RSS of every gunicorn worker every SAMPLE_SECONDS, while the load runs."""

    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack, self.samples = stack, []  # (seconds since start, {pid: MB})
        self.load: list[float] = []  # the 1-minute load average at each sample
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while True:
            sample = {}
            for pid in self.stack.web_worker_pids():
                try:
                    sample[pid] = self.stack.rss_mb(pid)
                except (ProcessLookupError, FileNotFoundError):
                    continue
            self.samples.append((time.monotonic() - started, sample))
            self.load.append(os.getloadavg()[0])
            if self.stopped.wait(SAMPLE_SECONDS):
                return


def memory_check(samples: list[tuple[float, dict[int, float]]]) -> tuple[CheckResult, list[str]]:
    """The rule of the module docstring; also returns one line per worker for the summary."""
    if len(samples) < 3:
        return CheckResult("web worker memory stable", False, "fewer than 3 samples"), []
    middle = samples[len(samples) // 2][1]
    last = samples[-1][1]
    pids = sorted({pid for _t, sample in samples for pid in sample})
    lines, wrong = [], []
    for pid in pids:
        series = [sample[pid] for _t, sample in samples if pid in sample]
        lines.append(
            f"worker {pid}: first {series[0]:.0f} MB, half-time {middle.get(pid, float('nan')):.0f} MB, "
            f"last {series[-1]:.0f} MB, max {max(series):.0f} MB ({len(series)} samples)"
        )
        if pid not in middle or pid not in last:
            wrong.append(f"worker {pid} did not live through the run")
        elif last[pid] - middle[pid] > MEMORY_GROWTH_MB:
            wrong.append(f"worker {pid} grew {last[pid] - middle[pid]:.0f} MB in the second half")
    detail = "; ".join(wrong) or f"second-half growth ≤ {MEMORY_GROWTH_MB:.0f} MB for every worker"
    return CheckResult("web worker memory stable", not wrong, detail), lines


def races_check(path: pathlib.Path) -> CheckResult:
    """The workload did what it claims: competing requests were refused, some issues ran out of stock."""
    writes = read_writes(path)
    stale = sum(
        1
        for w in writes
        if w["kind"] == "transition" and w["outcome"] == "refused" and "已被他人更新" in w.get("message", "")
    )
    wrong_state = sum(
        1
        for w in writes
        if w["kind"] == "transition" and w["outcome"] == "refused" and "不能执行" in w["message"]
    )
    short = sum(1 for w in writes if w["kind"] == "issue" and "库存不足" in w.get("message", ""))
    decided = sum(1 for w in writes if w["kind"] == "decision" and w["outcome"] == "refused")
    detail = (
        f"transitions refused as stale {stale}, as no longer possible {wrong_state}; "
        f"issues refused for stock {short}; approvals refused as already decided {decided}"
    )
    return CheckResult("the races happened (losers refused)", bool(stale and short), detail)


def field_users(users: int) -> int:
    """Technicians of the offline burst: one in ten users, at least one, at most the fixtures' field logins."""
    return max(1, min(users // 10, 6))


def bursts_check(path: pathlib.Path) -> CheckResult:
    """The offline bursts happened (loadtest.outbox): visits sent through to 完成上门服务, and every
    action sent twice with its key got the same answer twice (the server replayed, it did not write again
    or refuse its own key). That each was stored once is check_writes's part."""
    burst = [w for w in read_writes(path) if w.get("burst")]
    completed = sum(1 for w in burst if w.get("action") == "complete_visit" and w["outcome"] == "accepted")
    resent = [w for w in burst if w.get("resent")]
    differing = [f"{w['label']} on ticket {w['ticket']}" for w in resent if not w["same_answer"]]
    outcomes = {o: sum(1 for w in burst if w["outcome"] == o) for o in ("accepted", "refused", "error")}
    detail = (
        f"{len(burst)} actions sent in bursts ({outcomes['accepted']} accepted, {outcomes['refused']} refused, "
        f"{outcomes['error']} unanswered), {completed} visits completed, {len(resent)} sent twice with one key"
    )
    if differing:
        detail = (
            f"{len(differing)} resends answered differently: " + "; ".join(differing[:8]) + f" — {detail}"
        )
    return CheckResult(
        "offline bursts sent in order, resends replayed", bool(completed and resent) and not differing, detail
    )


def stats_table(csv_prefix: pathlib.Path) -> list[str]:
    path = pathlib.Path(f"{csv_prefix}_stats.csv")
    if not path.exists():
        return ["(no locust statistics)"]
    rows = list(csv.DictReader(path.open()))
    width = max(len(row["Name"]) for row in rows)
    header = f"{'request':<{width}}  {'count':>7} {'fails':>6} {'median':>7} {'p95':>6} {'max':>6} {'rps':>6}"
    lines = [header, "-" * len(header)]
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "total" if row["Name"] == "Aggregated" else row["Name"]
        if name == "total":
            lines.append("-" * len(header))
        lines.append(
            f"{name:<{width}}  {int(row['Request Count']):>7} {int(row['Failure Count']):>6} "
            f"{float(row['Median Response Time']):>5.0f}ms {float(row['95%']):>4.0f}ms "
            f"{float(row['Max Response Time']):>4.0f}ms "
            f"{float(row['Requests/s']):>6.2f}"
        )
    return lines


def locust_command(
    url: str, users: int, spawn_rate: float, minutes: float, csv_prefix: pathlib.Path
) -> list[str]:
    """The soak workload (loadtest/locustfile.py) headless against `url` (also `make scale`'s)."""
    return [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "loadtest" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{round(minutes * 60)}s",
        "--host",
        url,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
    ]


def locust_environment(writes: pathlib.Path, users: int) -> dict[str, str]:
    return {**os.environ, "LOADTEST_WRITES": str(writes), "LOADTEST_FIELD_USERS": str(field_users(users))}


def machine() -> str:
    memory = next(
        (
            line.split()[1]
            for line in pathlib.Path("/proc/meminfo").read_text().splitlines()
            if "MemTotal" in line
        ),
        "0",
    )
    load = " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"{os.cpu_count()} CPUs, {int(memory) / 1024 / 1024:.1f} GB RAM, {platform.platform()}, load {load}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    out = ROOT / "var" / "soak" / started.strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True)
    machine_before = machine()
    print(f"Soak run → {out.relative_to(ROOT)}; {machine_before}")
    check_services()
    if not args.keep:
        prepare_database(DATABASE_URL)
    writes, csv_prefix = out / "writes.jsonl", out / "locust"
    stack = Stack(DATABASE_URL, BROKER_URL, log_dir=out, port=int(PORT) if PORT else None)
    print(f"Starting gunicorn, Celery worker and beat at {stack.url} …")
    with stack:
        sampler = MemorySampler(stack)
        sampler.start()
        print(f"Load: {args.users} users (spawn rate {args.spawn_rate}/s) for {args.minutes:g} min …")
        load_started = time.time()
        with open(out / "locust.log", "w") as log:
            subprocess.run(
                locust_command(stack.url, args.users, args.spawn_rate, args.minutes, csv_prefix),
                cwd=ROOT,
                env=locust_environment(writes, args.users),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        sampler.stopped.set()
        sampler.join()
    print("Stopped; checking the database …")
    use_database(DATABASE_URL)
    # Imported only now: this process runs without Django until the load is over, then sets it up on the
    # soak's database (the line above), and the checks import the models.
    from loadtest.checks import delivery_counts, run_checks

    results = run_checks(DATABASE_URL, writes, locust_csv=csv_prefix, load_started=load_started)
    memory, memory_lines = memory_check(sampler.samples)
    results += [memory, races_check(writes), bursts_check(writes)]
    finished = datetime.datetime.now(datetime.UTC)
    lines = [
        f"Soak run {started:%Y-%m-%d %H:%M} – {finished:%H:%M} UTC",
        f"command: {shlex.join(['python', '-m', 'loadtest.soak', *(argv if argv is not None else sys.argv[1:])])}"
        f" ({args.users} users, {args.minutes:g} min, spawn rate {args.spawn_rate:g}/s)",
        f"machine before: {machine_before}",
        f"machine after:  {machine()}",
        f"load average during the run: mean {sum(sampler.load) / max(len(sampler.load), 1):.1f}, "
        f"max {max(sampler.load, default=0):.1f} (1-minute, every {SAMPLE_SECONDS} s)",
        f"stack: gunicorn {stack.web_workers} workers × {stack.threads} threads, Celery worker "
        f"(concurrency {stack.worker_concurrency}) + beat; PostgreSQL {DATABASE_URL.rsplit('@', 1)[-1]}, "
        f"Redis {BROKER_URL.rsplit('@', 1)[-1]}",
        f"commit: {git_commit()}",
        "",
        *stats_table(csv_prefix),
        "",
        "memory (RSS of each gunicorn worker, every 15 s):",
        *(f"  {line}" for line in memory_lines),
        "",
        *(f"{'ok     ' if r.ok else 'FAILED '} {r.name}: {r.detail}" for r in results),
        f"(worker: {delivery_counts()})",
    ]
    text = "\n".join(lines)
    (out / "summary.txt").write_text(text + "\n")
    print(text)
    print(
        f"\nFiles: {out.relative_to(ROOT)}/ (summary.txt, locust_*.csv, writes.jsonl, web/worker/beat logs)"
    )
    return 0 if all(r.ok for r in results) else 1


def git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit(main())
