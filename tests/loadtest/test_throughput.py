"""`--part throughput`: what it reads from /proc and locust, and what it prints (the run itself is a
benchmark, `make bench BENCH_ARGS="--part throughput"`, not a test); and the calls a bench run logs are
removed afterwards, whatever refers to them."""

from __future__ import annotations

import os
import pathlib

import pytest

from loadtest.bench import http, pages, throughput
from loadtest.bench.throughput import PageFigures, ProcStat, Run
from portal.models import TicketLink
from portal.services import issue_ticket_link
from tests.customers.factories import UnitFactory
from tickets.models import RepairTicket, TicketEvent
from tickets.services import CallDetails, log_call

# A /proc/<pid>/stat line of a gunicorn worker whose name holds a space and a parenthesis:
# utime 1200, stime 300, cutime 40, cstime 10 (fields 14–17).
STAT = "4242 (gunicorn: w) x) S 4200 4200 4200 0 -1 4194624 5000 0 0 0 1200 300 40 10 20 0 5 0 1000 1 1 0"


def test_a_stat_line_gives_the_parent_and_the_cpu_ticks_even_with_parentheses_in_the_name():
    assert throughput.parse_stat(STAT) == ProcStat(4242, 4200, "gunicorn: w) x", 1500, 50)


def test_the_real_stat_line_of_this_process_parses():
    process = throughput.parse_stat(pathlib.Path(f"/proc/{os.getpid()}/stat").read_text())
    assert process.pid == os.getpid() and process.ppid == os.getppid() and process.ticks > 0


def proc(pid, ppid, ticks, child_ticks=0):
    return ProcStat(pid, ppid, f"p{pid}", ticks, child_ticks)


def test_a_tree_counts_its_live_descendants_and_the_children_they_waited_for_but_not_its_neighbours():
    processes = {
        p.pid: p
        for p in (
            proc(1, 0, 999),  # init: not in the tree
            proc(10, 1, 5, child_ticks=7),  # gunicorn's master; a reaped worker spent 7
            proc(11, 10, 100),
            proc(12, 10, 200, child_ticks=3),
            proc(13, 12, 4),
            proc(20, 1, 50),  # PostgreSQL, beside it
        )
    }
    assert throughput.tree_ticks(processes, 10) == 5 + 7 + 100 + 200 + 3 + 4
    assert throughput.tree_ticks(processes, 99) == 0  # gone


def test_backends_that_come_and_go_count_what_they_spent_while_sampled():
    samples = [
        {31: 100, 32: 500},  # at the start
        {31: 150, 32: 520, 33: 10},  # 33 opened during the run
        {31: 170, 33: 40},  # 32 closed (CONN_MAX_AGE): its 20 until then count
    ]
    assert throughput.spent(samples) == 70 + 20 + 40
    assert throughput.spent([]) == 0


@pytest.mark.parametrize(
    ("title", "database"),
    [
        ("postgres: 15/main: postgres aftersales_bench 127.0.0.1(56000) idle", "aftersales_bench"),
        ("postgres: bench aftersales_bench [local] SELECT", "aftersales_bench"),  # no cluster name
        ("postgres: 15/main: postgres thru 127.0.0.1(43234) idle in transaction", "thru"),
        ("postgres: 15/main: checkpointer", None),
        ("postgres: 15/main: logical replication launcher", None),
        ("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main", None),
    ],
)
def test_a_backends_database_is_read_from_its_process_title(title, database):
    assert throughput.backend_database(title) == database


def mixed_and_trivial(trivial=(600.0, 640.0), mixed=(40.0, 44.0), errors=0):
    runs = []
    for number, (workload, rate) in enumerate(
        [("trivial", trivial[0]), ("mixed", mixed[0]), ("trivial", trivial[1]), ("mixed", mixed[1])], start=1
    ):
        names = (
            ["floor: trivial logged-in view"]
            if workload == "trivial"
            else ["ticket detail", "dispatch board"]
        )
        figures = [
            PageFigures(
                name,
                round(rate * 30),
                errors if workload == "mixed" else 0,
                10.0 * number,
                30.0 * number,
                rate / 2,
            )
            for name in names
        ]
        if workload == "trivial":
            figures = [PageFigures(names[0], round(rate * 60), 0, 5.0, 9.0, rate)]
        cpu = {"gunicorn": 90.0, "PostgreSQL": 20.0, "locust": 15.0}
        runs.append(Run(number, workload, 61.0, figures, cpu, ((1.5, 1.2, 1.0), (2.5, 1.4, 1.1))))
    return runs


def test_the_ratio_is_the_mean_mixed_rate_over_the_mean_trivial_rate():
    assert throughput.ratio(mixed_and_trivial()) == pytest.approx(42 / 620)
    assert throughput.ratio(mixed_and_trivial()[:1]) is None  # no mixed run


def test_the_report_shows_each_run_the_ratio_and_the_percentiles_per_page():
    runs = mixed_and_trivial()
    lines = throughput.report(runs)
    text = "\n".join(lines)
    run2 = next(line for line in lines if line.startswith("2 mixed"))
    # 40 requests/s, 2,400 requests, no errors, gunicorn 90 s, PostgreSQL 20 s, locust 15 s,
    # (90 + 20) s over 2,400 requests = 45.8 ms, load 1.5 → 2.5.
    assert run2.split()[2:10] == ["40.0", "2,400", "0", "61", "90.0s", "20.0s", "15.0s", "45.8"]
    assert "1.5 1.2 1.0 → 2.5 1.4 1.1" in run2
    assert "mixed / trivial: 6.8% (target ≥ 15%) MISSED" in text
    detail = next(line for line in lines if line.startswith("ticket detail"))
    assert detail.split()[2:] == ["20", "/", "60", "40", "/", "120"]  # runs 2 and 4 only
    assert "floor: trivial logged-in view" in text


def test_a_mixed_workload_at_a_fifth_of_the_floor_meets_the_target():
    text = "\n".join(throughput.report(mixed_and_trivial(mixed=(120.0, 128.0))))
    assert "mixed / trivial: 20.0% (target ≥ 15%) ok" in text


def test_locusts_statistics_per_page_leave_out_the_logins_and_the_total(tmp_path):
    stats = tmp_path / "run1_stats.csv"
    header = "Type,Name,Request Count,Failure Count,Median Response Time,Requests/s,50%,95%"
    stats.write_text(
        "\n".join(
            [
                header,
                "GET,login page,20,0,30,0.3,30,50",
                "POST,login,20,0,300,0.3,300,400",
                "GET,ticket detail,900,2,25,15.0,25,80",
                ",Aggregated,940,2,26,15.6,26,90",
            ]
        ),
        encoding="utf-8",
    )
    assert throughput.read_pages(stats) == [PageFigures("ticket detail", 900, 2, 25.0, 80.0, 15.0)]
    assert throughput.read_pages(tmp_path / "missing.csv") == []


@pytest.mark.django_db
def test_the_calls_a_bench_run_logs_go_with_whatever_refers_to_them(dispatcher, branch_a):
    def call():
        unit = UnitFactory(owner__branch=branch_a)
        return log_call(user=dispatcher, unit=unit, details=CallDetails("appliance", "开机无反应"))

    seeded = call()
    logged = call()
    issue_ticket_link(ticket=logged, purpose="bench")  # the portal's link: not in the old list of tables
    assert TicketEvent.objects.filter(ticket=logged).exists()

    pages.forget_tickets_after(seeded.pk, print)

    assert list(RepairTicket.objects.values_list("pk", flat=True)) == [seeded.pk]
    assert not TicketLink.objects.filter(ticket_id=logged.pk).exists()
    assert not TicketEvent.objects.filter(ticket_id=logged.pk).exists()
    assert TicketEvent.objects.filter(ticket=seeded).exists()


@pytest.mark.django_db
def test_the_load_benches_make_their_folder_on_a_fresh_checkout(settings, tmp_path):
    """`var/` is not in the repository: `--part throughput` failed with FileNotFoundError on a new machine."""
    settings.VAR_DIR = tmp_path / "var"
    out, _last_ticket = http.prepare("bench-throughput-")
    assert out.parent == settings.VAR_DIR and (out / "plan.json").is_file()
