"""Real servers for the operations tests: Redis as the broker, gunicorn and a Celery worker as processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def redis_broker() -> str:
    """The test run's broker (CELERY_BROKER_URL), which must be a Redis that answers."""
    url = django_settings.CELERY_BROKER_URL
    require(
        url.startswith("redis://") and redis_answers(url), "Redis as the broker: CELERY_BROKER_URL=redis://…"
    )
    return url


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Processes:
    """Processes started for one test, stopped (and reaped) at its end; their output in log files."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir, self.running = env, log_dir, []

    def start(self, name: str, *command: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((process, log))
        return process

    def gunicorn(self, port: int, workers: int = 2) -> str:
        self.start(
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
        base = f"http://127.0.0.1:{port}"
        self.wait_for(lambda: _connects(port), seconds=120, what="gunicorn accepting connections")
        return base

    def worker(self, *extra: str) -> None:
        self.start(
            "worker",
            str(BIN / "celery"),
            "-A",
            "aftersales",
            "worker",
            "-l",
            "info",
            "-P",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *extra,
        )

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()}" for path in sorted(self.log_dir.glob("*.log"))
        )

    def wait_for(self, condition, *, seconds: float, what: str):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if any(process.poll() is not None for process, _log in self.running):
                pytest.fail(f"a process stopped while waiting for {what}\n{self.logs()}")
            time.sleep(0.25)
        pytest.fail(f"{what} did not happen within {seconds} s\n{self.logs()}")

    def stop(self) -> None:
        for process, _log in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, log in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self.running = []


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
    running = Processes(env, tmp_path)
    yield running
    running.stop()
