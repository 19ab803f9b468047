"""Two `celery beat` processes against a real Redis: one leads, the other takes over when it dies, and no
scheduled task is sent twice in one period (aftersales.beat, issue #20 item 4).

The beats send into the broker; what each sent is read from its own log ("Sending due task"), as an
operator would. The sweep and the delivery retry run every second here, the lock lasts a few seconds.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
import redis

from aftersales.beat import LOCK_KEY
from tests.celery_workers import Processes, environment, redis_answers, wait_for
from tests.conftest import require

# The test's broker: the Redis database this test session was given (else the one the worker tests
# flush), flushed around each test.
BROKER = os.environ.get("CELERY_BROKER_URL", "")
if not BROKER.startswith("redis://"):
    BROKER = "redis://127.0.0.1:6379/15"  # as tests/celery_workers.py
PERIOD = datetime.timedelta(seconds=1)  # SLA_SWEEP_SECONDS and DELIVERY_RETRY_SECONDS in environment()
SENT = re.compile(r"^\[([\d-]+ [\d:,]+): INFO/MainProcess\] Scheduler: Sending due task ([\w-]+) ", re.M)


def sent(log: Path) -> list[tuple[datetime.datetime, str]]:
    """(when, entry) for each task the beat writing this log sent."""
    return [
        (datetime.datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f"), entry)  # noqa: DTZ007 (both logs' zone)
        for at, entry in SENT.findall(log.read_text())
    ]


@pytest.fixture
def beats(tmp_path):
    require(redis_answers(BROKER), "Redis on 127.0.0.1:6379")
    store = redis.Redis.from_url(BROKER)
    store.flushdb()

    def start(lock_seconds: int) -> Processes:
        env = environment(f"sqlite:///{tmp_path / 'unused.sqlite3'}", BROKER, tmp_path)
        processes.env = env | {"BEAT_LOCK_SECONDS": str(lock_seconds)}
        return processes

    processes = Processes({}, tmp_path)
    yield start
    processes.stop()
    store.flushdb()


def beat(processes: Processes, name: str):
    tmp = processes.tmp_path
    return processes.start("beat", "-l", "info", "-s", str(tmp / f"{name}-schedule"), name=name)


def test_one_beat_sends_and_the_other_takes_over_within_the_lock_when_it_is_killed(beats, tmp_path):
    lock = 3
    processes = beats(lock)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = beat(processes, "first")
    wait_for(
        lambda: "beat: leading" in first_log.read_text(),
        seconds=60,
        what="the first beat leads",
        processes=processes,
    )
    beat(processes, "second")
    wait_for(
        lambda: "beat: standing by" in second_log.read_text(),
        seconds=60,
        what="the second stands by",
        processes=processes,
    )
    standing_by_since = len(sent(first_log))
    wait_for(
        lambda: len(sent(first_log)) >= standing_by_since + 8,
        seconds=30,
        what="the leader sends",
        processes=processes,
    )
    assert sent(second_log) == []

    first.kill()  # SIGKILL: no clean shutdown, the lock stays until it expires
    first.wait()
    wait_for(
        lambda: sent(second_log), seconds=lock * 3, what="the second beat takes over", processes=processes
    )
    wait_for(
        lambda: len(sent(second_log)) >= 4,
        seconds=10,
        what="the new leader keeps sending",
        processes=processes,
    )

    by_first, by_second = sent(first_log), sent(second_log)
    handover = by_second[0][0] - by_first[-1][0]
    assert handover <= datetime.timedelta(seconds=lock + lock / 3 + 1), handover
    assert by_first[-1][0] < by_second[0][0]  # never both at once
    for entry in ("sla-sweep", "retry-deliveries"):
        times = sorted(at for at, name in by_first + by_second if name == entry)
        gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
        assert min(gaps) >= PERIOD * 0.9, f"{entry} sent twice in one period"

    processes.stop()  # SIGTERM: a clean shutdown gives the lock back
    assert redis.Redis.from_url(BROKER).get(LOCK_KEY) is None


def test_a_leader_stopped_cleanly_hands_over_before_its_lock_would_expire(beats, tmp_path):
    lock = 30
    processes = beats(lock)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = beat(processes, "first")
    wait_for(
        lambda: "beat: leading" in first_log.read_text(),
        seconds=60,
        what="the first beat leads",
        processes=processes,
    )
    beat(processes, "second")
    wait_for(
        lambda: "beat: standing by" in second_log.read_text(),
        seconds=60,
        what="the second stands by",
        processes=processes,
    )
    first.terminate()
    first.wait(timeout=20)
    assert "beat: gave up the lead" in first_log.read_text()
    # A standby asks every third of the lock: well before the 30 s the lock would have lasted.
    wait_for(
        lambda: sent(second_log), seconds=lock / 3 + 5, what="the second beat takes over", processes=processes
    )
