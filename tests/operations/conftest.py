"""Real servers for the operations tests: Redis as the broker, gunicorn and a Celery worker as processes."""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.celery_workers import Processes, redis_answers, wait_for
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_broker() -> str:
    """The test run's broker (CELERY_BROKER_URL), which must be a Redis that answers."""
    url = django_settings.CELERY_BROKER_URL
    require(redis_answers(url), "Redis as the broker: CELERY_BROKER_URL=redis://…")
    return url


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Servers(Processes):
    """The test's processes (tests/celery_workers.py), gunicorn among them."""

    def gunicorn(self, port: int, workers: int = 2) -> str:
        self.run(
            "gunicorn",
            str(BIN / "gunicorn"),
            "aftersales.wsgi",
            "--config",
            "python:aftersales.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
        )
        self.wait_for(lambda: _connects(port), seconds=120, what="gunicorn accepting connections")
        return f"http://127.0.0.1:{port}"

    def wait_for(self, condition, *, seconds: float, what: str):
        return wait_for(condition, seconds=seconds, processes=self, what=what, all_running=True)


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def processes(tmp_path):
    env = {**os.environ, "SECRET_KEY": "operations-tests", "AFTERSALES_VAR_DIR": str(tmp_path / "var")}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    running = Servers(env, tmp_path)
    yield running
    running.stop()
