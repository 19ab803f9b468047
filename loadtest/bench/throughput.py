"""`make bench BENCH_ARGS="--part throughput"`: requests per second at saturation, the mixed workload against
the floor (issue #19).

One gunicorn as `make run` starts it (aftersales.gunicorn_conf: sync workers, one per core and one more) serves
the seeded bench database, with the floor view of the page bench added to its URLs (loadtest.bench.settings).
Locust, on the same machine, plays 20 users with no think time for 60 s: the trivial logged-in view, then the mixed workload
of `--part http` (loadtest/benchfile.py), alternately, twice each. Each run prints its requests per second,
errors and p50/p95 per page, and the CPU the processes spent over it, read from /proc: gunicorn's process
tree, the PostgreSQL backends serving the bench database (sampled twice a second: connections close and
reopen) and locust; with the machine's load average at its
start and end (the machine is shared: other work shows in the figures).
"""

from __future__ import annotations

import csv
import os
import pathlib
import resource
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from loadtest.bench import http, pages
from loadtest.stack import Stack

WORKLOADS = {"trivial": ("Floor",), "mixed": http.MIXED}
ROUNDS = 2
LOGINS = ("login", "login page")  # each user's on_start: not the workload measured
TARGET_RATIO = 0.15  # issue #19: the mixed workload at ≥ 15 % of the floor's requests/s


# --- /proc -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcStat:
    """What /proc/<pid>/stat says of one process: its parent, name and CPU clock ticks spent, by itself
    (utime + stime) and by the children it has waited for (cutime + cstime)."""

    pid: int
    ppid: int
    comm: str
    ticks: int
    child_ticks: int


def parse_stat(line: str) -> ProcStat:
    """One /proc/<pid>/stat line. The name, in parentheses, may hold spaces and parentheses itself:
    the fields after it are split after the last ")" (proc(5): utime, stime, cutime, cstime are 14–17)."""
    head, _, tail = line.rpartition(")")
    pid, _, comm = head.partition(" (")
    fields = tail.split()  # fields[0] is field 3 (state)
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return ProcStat(int(pid), int(fields[1]), comm, utime + stime, cutime + cstime)


def snapshot() -> dict[int, ProcStat]:
    """Every process readable now."""
    found = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = parse_stat(entry.joinpath("stat").read_text())
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
    return found


def tree_ticks(processes: dict[int, ProcStat], root: int) -> int:
    """CPU ticks of `root` and all its descendants, those still running and those already waited for
    (counted in their parent's cutime + cstime)."""
    kids: dict[int, list[int]] = {}
    for process in processes.values():
        kids.setdefault(process.ppid, []).append(process.pid)
    total, todo = 0, [root] if root in processes else []
    while todo:
        pid = todo.pop()
        total += processes[pid].ticks + processes[pid].child_ticks
        todo.extend(kids.get(pid, ()))
    return total


def spent(samples: list[dict[int, int]]) -> int:
    """CPU ticks spent between the first and the last sample by processes that come and go (PostgreSQL
    backends: gunicorn's connections close after CONN_MAX_AGE and reopen): each process's last count seen
    minus its count in the first sample, 0 if it started after it. What a process spent after its last
    sample before exiting is lost: sample often."""
    last_seen: dict[int, int] = {}
    for sample in samples:
        last_seen.update(sample)
    first = samples[0] if samples else {}
    return sum(ticks - first.get(pid, 0) for pid, ticks in last_seen.items())


def backend_database(title: str) -> str | None:
    """The database of a PostgreSQL backend from its process title (/proc/<pid>/cmdline), e.g.
    "postgres: 15/main: postgres aftersales_bench 127.0.0.1(5678) idle"; None for the server's own
    processes (checkpointer, walwriter…)."""
    if not title.startswith("postgres: "):
        return None
    words = title.removeprefix("postgres: ").split()
    if words and words[0].endswith(":"):  # the cluster name, when set
        words = words[1:]
    if len(words) >= 3 and ("(" in words[2] or words[2] == "[local]"):
        return words[1]
    return None


def backend_ticks(postmaster: int, database: str) -> dict[int, int]:
    """CPU ticks of each backend of `database` now."""
    found = {}
    for process in snapshot().values():
        if process.ppid != postmaster:
            continue
        try:
            title = pathlib.Path(f"/proc/{process.pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if backend_database(title.decode(errors="replace")) == database:
            found[process.pid] = process.ticks
    return found


class BackendSampler(threading.Thread):
    """Samples the backends' CPU every `interval` seconds until stopped, so the backends closed during a run
    count (up to their last sample)."""

    def __init__(self, postmaster: int, database: str, interval: float = 0.5):
        super().__init__(daemon=True)
        self.postmaster, self.database, self.interval = postmaster, database, interval
        self.samples = [backend_ticks(postmaster, database)]
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.samples.append(backend_ticks(self.postmaster, self.database))

    def finish(self) -> int:
        self._done.set()
        self.join()
        self.samples.append(backend_ticks(self.postmaster, self.database))
        return spent(self.samples)


def cpu_seconds(before: int, after: int) -> float:
    return (after - before) / os.sysconf("SC_CLK_TCK")


# --- one run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFigures:
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    per_second: float


@dataclass
class Run:
    number: int
    workload: str
    seconds: float
    pages: list[PageFigures]
    cpu: dict[str, float] = field(default_factory=dict)  # seconds of CPU per process group
    load: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())

    @property
    def requests(self) -> int:
        return sum(page.requests for page in self.pages)

    @property
    def errors(self) -> int:
        return sum(page.failures for page in self.pages)

    @property
    def per_second(self) -> float:
        return sum(page.per_second for page in self.pages)

    def server_ms_per_request(self) -> float | None:
        """CPU of gunicorn and PostgreSQL per request served, in ms."""
        if not self.requests:
            return None
        return (self.cpu.get("gunicorn", 0.0) + self.cpu.get("PostgreSQL", 0.0)) * 1000 / self.requests


def read_pages(stats_csv: pathlib.Path) -> list[PageFigures]:
    """Locust's statistics per request name, without the logins and the aggregate."""
    if not stats_csv.exists():
        return []
    with stats_csv.open(encoding="utf-8") as source:
        return [
            PageFigures(
                row["Name"],
                int(row["Request Count"]),
                int(row["Failure Count"]),
                float(row["50%"]),
                float(row["95%"]),
                float(row["Requests/s"]),
            )
            for row in csv.DictReader(source)
            if row["Name"] not in ("Aggregated", *LOGINS)
        ]


def postmaster_and_database() -> tuple[int, str]:
    """The PostgreSQL server process (the parent of this connection's backend) and the bench database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_database()")
        backend, database = cursor.fetchone()
    return snapshot()[backend].ppid, database


def measure(stack: Stack, out: pathlib.Path, *, number: int, workload: str, users: int, seconds: int) -> Run:
    web = stack.processes["web"].pid
    backends = BackendSampler(*postmaster_and_database())
    backends.start()
    load_before, before = os.getloadavg(), snapshot()
    locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    stats = http.run_locust(
        stack,
        out,
        users=users,
        seconds=seconds,
        classes=WORKLOADS[workload],
        name=f"run{number}-{workload}",
        think=False,
        spawn_rate=users,
    )
    elapsed = time.monotonic() - started
    # locust has exited and been waited for: its CPU is in this process's children's usage.
    locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after, load_after = snapshot(), os.getloadavg()
    postgres_ticks = backends.finish()
    cpu = {
        "gunicorn": cpu_seconds(tree_ticks(before, web), tree_ticks(after, web)),
        "PostgreSQL": cpu_seconds(0, postgres_ticks),
        "locust": (locust_after.ru_utime + locust_after.ru_stime)
        - (locust_before.ru_utime + locust_before.ru_stime),
    }
    return Run(number, workload, elapsed, read_pages(stats), cpu, (load_before, load_after))


def run(*, users: int, seconds: int, log: Callable[[str], None]) -> bool:
    """Serve, alternate the workloads, report; True when the mixed workload reached its share of the
    floor with no errors."""
    out, last_seeded_ticket = http.prepare("bench-throughput-")
    stack = Stack(
        os.environ["DATABASE_URL"],
        http.BROKER_URL,
        log_dir=out,
        beat=False,
        extra_env={"DJANGO_SETTINGS_MODULE": "loadtest.bench.settings"},
    )
    log(
        f"gunicorn {stack.web_workers} workers × {stack.threads} threads at {stack.url}; locust: {users} users, "
        f"no think time, {seconds} s per run, trivial and mixed alternately × {ROUNDS} "
        f"(logs in {out.relative_to(settings.BASE_DIR)})"
    )
    runs: list[Run] = []
    try:
        with stack:
            for number, workload in enumerate([*WORKLOADS] * ROUNDS, start=1):
                runs.append(
                    measure(stack, out, number=number, workload=workload, users=users, seconds=seconds)
                )
                log(f"  run {number} ({workload}): {runs[-1].per_second:,.1f} requests/s")
    finally:
        pages.forget_tickets_after(last_seeded_ticket, log)
    for line in report(runs):
        log(line)
    share = ratio(runs)
    return share is not None and share >= TARGET_RATIO and not any(r.errors for r in runs)


# --- the report --------------------------------------------------------------------------------


def ratio(runs: list[Run]) -> float | None:
    """Mixed over trivial: the mean requests/s of the mixed runs over that of the trivial runs."""
    trivial = [r.per_second for r in runs if r.workload == "trivial"]
    mixed = [r.per_second for r in runs if r.workload == "mixed"]
    if not trivial or not mixed or not statistics.fmean(trivial):
        return None
    return statistics.fmean(mixed) / statistics.fmean(trivial)


def _load(values: tuple[float, ...]) -> str:
    return " ".join(f"{value:.1f}" for value in values)


def report(runs: list[Run]) -> list[str]:
    """The runs (requests/s, errors, CPU split, load), the ratio, then p50/p95 per page and run."""
    header = (
        f"{'run':<14}{'req/s':>8}{'requests':>10}{'errors':>8}{'s':>6}"
        f"{'gunicorn':>10}{'PostgreSQL':>12}{'locust':>8}{'server ms/req':>15}  load at start → end"
    )
    lines = ["", header, "-" * (len(header) + 12)]
    for r in runs:
        per_request = r.server_ms_per_request()
        lines.append(
            f"{f'{r.number} {r.workload}':<14}{r.per_second:>8.1f}{r.requests:>10,}{r.errors:>8}{r.seconds:>6.0f}"
            f"{r.cpu.get('gunicorn', 0):>9.1f}s{r.cpu.get('PostgreSQL', 0):>11.1f}s{r.cpu.get('locust', 0):>7.1f}s"
            f"{'' if per_request is None else f'{per_request:.1f}':>15}  {_load(r.load[0])} → {_load(r.load[1])}"
        )
    share = ratio(runs)
    if share is None:
        lines.append("mixed / trivial: no figure (a workload served nothing)")
    else:
        verdict = "ok" if share >= TARGET_RATIO else "MISSED"
        lines.append(f"mixed / trivial: {share:.1%} (target ≥ {TARGET_RATIO:.0%}) {verdict}")
    names = list(dict.fromkeys(page.name for r in runs for page in r.pages))
    columns = [f"{r.number} {r.workload}" for r in runs]
    lines += ["", f"{'p50 / p95 ms':<42}" + "".join(f"{c:>14}" for c in columns)]
    for name in names:
        cells = []
        for r in runs:
            page = next((p for p in r.pages if p.name == name), None)
            cells.append("" if page is None else f"{page.p50_ms:.0f} / {page.p95_ms:.0f}")
        lines.append(f"{name:<42}" + "".join(f"{cell:>14}" for cell in cells))
    lines.append(
        "CPU in seconds over each run, from /proc: gunicorn's process tree, the PostgreSQL backends of the "
        "bench database, locust; server ms/req: gunicorn + PostgreSQL CPU per request. Logins left out "
        "of the counts."
    )
    return lines
