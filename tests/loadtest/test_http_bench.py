"""`--part http`: its statistics are those of the steady state, counted from the end of the warm-up (every
user logged in, then the settling seconds) for the seconds asked (`loadtest.steady`). The run itself is a
benchmark (`make bench BENCH_ARGS="--part http"`); here the warm-up runs on a clock that only sleeping moves."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from loadtest.bench import http
from loadtest.steady import POLL, measure_steady_state


class Run:
    """locust's environment as measure_steady_state sees it, on a clock that only `sleep` moves; users log
    in at the times given."""

    def __init__(self, users: int, login_times: list[float]):
        self.now = 0.0
        self.login_times = login_times
        self.logins: list[float] = []
        self.events: list[tuple[str, float]] = []
        total = SimpleNamespace(
            num_requests=558, median_response_time=37, get_response_time_percentile=lambda share: 1800
        )
        self.environment = SimpleNamespace(
            parsed_options=SimpleNamespace(num_users=users),
            stats=SimpleNamespace(total=total, reset_all=lambda: self.events.append(("reset", self.now))),
            runner=SimpleNamespace(quit=lambda: self.events.append(("quit", self.now))),
        )

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.logins[:] = [
            at for at in self.login_times if at <= self.now
        ]  # the same list, as the benchfile's

    def clock(self) -> float:
        return self.now


def run(users: int, login_times: list[float], *, measure: float = 180, settle: float = 10) -> Run:
    played = Run(users, login_times)
    measure_steady_state(
        played.environment,
        played.logins,
        measure=measure,
        settle=settle,
        sleep=played.sleep,
        clock=played.clock,
    )
    return played


def test_the_statistics_are_reset_settle_seconds_after_the_last_login_not_the_first():
    played = run(users=3, login_times=[0.2, 1.0, 14.0])
    reset = dict(played.events)["reset"]
    assert 14.0 + 10 <= reset <= 14.0 + POLL + 10


def test_the_run_stops_after_the_seconds_measured_from_the_reset():
    played = run(users=2, login_times=[0.1, 0.4], measure=180)
    events = dict(played.events)
    assert [name for name, _ in played.events] == ["reset", "quit"]
    assert events["quit"] - events["reset"] == 180


def test_the_warm_up_is_logged_with_its_length_requests_and_p95(caplog):
    with caplog.at_level(logging.INFO):
        run(users=1, login_times=[7.6])
    assert "warm-up of 18 s (logins, then 10 s more): 558 requests, median 37 ms, p95 1800 ms" in caplog.text


def test_the_report_gives_the_warm_up_line_of_locusts_log(tmp_path):
    log = tmp_path / "locust.log"
    log.write_text(
        "[2026-12-07 10:00:00,000] host/INFO/root: warm-up of 18 s (logins, then 10 s more): 558 requests, "
        "median 37 ms, p95 1800 ms; statistics reset, the steady state measured for 180 s\n",
        encoding="utf-8",
    )
    assert http.warm_up(log).startswith("warm-up of 18 s (logins, then 10 s more): 558 requests")
    assert http.warm_up(tmp_path / "none.log").startswith("(no warm-up line")
