"""`--part http`: its statistics are those of the steady state, counted from the end of the warm-up (every
user logged in, then `SETTLE` seconds) for the seconds asked. The run itself is a benchmark
(`make bench BENCH_ARGS="--part http"`); the warm-up's logic runs here under gevent in a process of its own,
since importing locust patches the interpreter it runs in."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from loadtest.bench import http
from loadtest.stack import ROOT

SCRIPT = textwrap.dedent(
    """
    import json, logging, time, gevent
    from loadtest import benchfile

    logging.basicConfig(level=logging.INFO)  # as locust sets it up

    benchfile.SETTLE = 0.3
    calls = []
    started = time.monotonic()

    def at(name):
        calls.append((name, round(time.monotonic() - started, 1)))

    class Stats:
        total = type("Total", (), {"num_requests": 7, "median_response_time": 30,
                                   "get_response_time_percentile": lambda self, share: 900})()
        def reset_all(self):
            at("reset")

    class Environment:
        stats = Stats()
        parsed_options = type("Options", (), {"num_users": 2})()
        runner = type("Runner", (), {"quit": lambda self: at("quit")})()

    def log_in_late():
        gevent.sleep(0.5)
        benchfile.LOGINS.append("a")
        at("first login")
        gevent.sleep(0.5)
        benchfile.LOGINS.append("b")
        at("last login")

    gevent.joinall([gevent.spawn(log_in_late), gevent.spawn(benchfile._steady_state, Environment())])
    print(json.dumps(dict(calls)))
    """
)


def test_the_statistics_are_reset_after_the_last_login_and_the_run_stops_after_the_time_measured(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"users": {"dispatcher": []}}), encoding="utf-8")
    env = {"BENCH_HTTP_PLAN": str(plan), "BENCH_HTTP_MEASURE": "0.6", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    calls = json.loads(done.stdout)
    assert calls["first login"] < calls["last login"] < calls["reset"] < calls["quit"]
    assert calls["reset"] - calls["last login"] >= 0.2  # SETTLE after the last login, not the first
    assert calls["quit"] - calls["reset"] >= 0.5  # BENCH_HTTP_MEASURE of steady state
    assert "warm-up of" in done.stderr and "p95 900 ms" in done.stderr


def test_the_report_gives_the_warm_up_line_of_locusts_log(tmp_path):
    log = tmp_path / "locust.log"
    log.write_text(
        "[2026-12-07 10:00:00,000] host/INFO/root: warm-up of 18 s (logins, then 10 s more): 558 requests, "
        "median 37 ms, p95 1800 ms; statistics reset, the steady state measured for 180 s\n",
        encoding="utf-8",
    )
    assert http.warm_up(log).startswith("warm-up of 18 s (logins, then 10 s more): 558 requests")
    assert http.warm_up(tmp_path / "none.log").startswith("(no warm-up line")
