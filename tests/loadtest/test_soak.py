"""The soak's own judgements (memory, whether the races happened) and the stack it starts."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request

import pytest
from celery import Celery
from django.db import connection

from loadtest import soak
from loadtest.stack import Stack, check_disposable
from tests.conftest import require


def samples(*series: list[float], pids=(101, 102)) -> list[tuple[float, dict[int, float]]]:
    return [
        (15.0 * i, dict(zip(pids, values, strict=True))) for i, values in enumerate(zip(*series, strict=True))
    ]


class TestMemory:
    def test_warm_up_in_the_first_half_then_flat_is_stable(self):
        result, lines = soak.memory_check(samples([80, 100, 105, 106, 107], [80, 95, 104, 104, 104]))
        assert result.ok
        assert lines[0] == "worker 101: first 80 MB, half-time 105 MB, last 107 MB, max 107 MB (5 samples)"

    def test_growth_in_the_second_half_fails(self):
        result, _lines = soak.memory_check(samples([80, 100, 105, 115, 125], [80, 95, 104, 104, 104]))
        assert not result.ok
        assert "worker 101 grew 20 MB" in result.detail

    def test_a_worker_replaced_during_the_run_fails(self):
        run = samples([80, 100, 105], [80, 95, 104]) + [(45.0, {101: 105, 103: 90})]
        result, _lines = soak.memory_check(run)
        assert not result.ok
        assert "worker 102 did not live through the run" in result.detail


def test_the_races_must_have_happened(tmp_path):
    path = tmp_path / "writes.jsonl"
    accepted = {
        "kind": "transition",
        "key": "k",
        "outcome": "accepted",
        "who": "x",
        "message": "“派工”已完成",
    }
    path.write_text(json.dumps(accepted) + "\n")
    assert not soak.races_check(path).ok
    lost = {
        **accepted,
        "outcome": "refused",
        "message": "工单 T1 已被他人更新(当前状态:已派工),请刷新页面后再操作。",
    }
    short = {
        "kind": "issue",
        "key": "i",
        "outcome": "refused",
        "who": "y",
        "message": "库存不足:配件 P 仅剩 0 件。",
    }
    path.write_text("".join(json.dumps(w) + "\n" for w in (accepted, lost, short)))
    assert soak.races_check(path).ok


@pytest.mark.parametrize(
    "name", ["test", "test_test", "postgres", "root", "template1", "aftersales_bench", ""]
)
def test_the_stack_never_drops_someone_elses_database(name):
    with pytest.raises(ValueError):
        check_disposable(name)


def consumed_queues(broker: str, seconds: float = 120) -> set[str]:
    """The queues the Celery workers on `broker` consume, once one answers."""
    with Celery("probe", broker=broker, set_as_current=False) as probe:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answers = probe.control.inspect(timeout=1).active_queues() or {}
            if answers:
                return {queue["name"] for queues in answers.values() for queue in queues}
        return set()


@pytest.mark.postgres
def test_the_stack_serves_the_login_page_and_stops_everything(postgres, tmp_path, monkeypatch):
    import redis

    broker = "redis://127.0.0.1:6379/14"
    monkeypatch.setenv("CELERY_BROKER_URL", broker)  # Celery prefers it to the probe's own broker
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        require(False, "Redis on 127.0.0.1:6379")
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    stack = Stack(url, broker, log_dir=tmp_path, web_workers=1, threads=2, worker_concurrency=1, beat=False)
    with stack:
        with urllib.request.urlopen(f"{stack.url}/login/", timeout=10) as response:
            assert response.status == 200
        workers = stack.web_worker_pids()
        assert len(workers) == 1
        assert stack.rss_mb(workers[0]) > 10
        # The one worker consumes every queue (issue #20: alerts, default, reports), as make run's two do.
        assert consumed_queues(broker) == {"alerts", "default", "reports"}
        worker = stack.processes["worker"]
        stack.kill_worker(signal.SIGKILL)
        assert worker.poll() == -signal.SIGKILL
        stack.start_worker()
        assert stack.processes["worker"].poll() is None
        groups = [worker.pid] + [process.pid for process in stack.processes.values()]
    assert stack.processes == {}
    for group in groups:  # every process of every group is gone, the pool children too
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
    stack.stop()  # a second stop is harmless


def test_the_offline_bursts_must_have_happened_and_resends_answered_the_same(tmp_path):
    path = tmp_path / "writes.jsonl"

    def burst(label: str, outcome: str = "accepted", **fields) -> dict:
        return {
            "kind": "x",
            "key": label,
            "outcome": outcome,
            "who": "f",
            "burst": True,
            "label": label,
            "ticket": 7,
            **fields,
        }

    completed = burst("complete visit", action="complete_visit")
    resent = burst("report part line", resent=True, same_answer=True)
    path.write_text(json.dumps(completed) + "\n")
    assert not soak.bursts_check(path).ok  # no resend happened
    path.write_text("".join(json.dumps(w) + "\n" for w in (completed, resent)))
    result = soak.bursts_check(path)
    assert result.ok and "1 visits completed, 1 sent twice with one key" in result.detail
    differing = {**resent, "same_answer": False}
    path.write_text("".join(json.dumps(w) + "\n" for w in (completed, differing)))
    result = soak.bursts_check(path)
    assert not result.ok and "report part line on ticket 7" in result.detail


def test_one_user_in_ten_works_offline():
    assert [soak.field_users(users) for users in (1, 5, 10, 50, 100)] == [1, 1, 1, 5, 6]
