"""Celery workers and beat as real processes for a test, on Redis and the test's own PostgreSQL database
(the `celery_processes` fixture of tests/conftest.py). Used by tests/integration (the clocks, the queues)
and by the export tests (reports, browser).

The broker is a Redis database of its own, flushed around each test: redis://127.0.0.1:6379/15, or
TEST_CELERY_BROKER_URL when several people run the tests on one machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from kombu import pools

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))
BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


def redis_answers(url: str) -> bool:
    """Whether `url` names a Redis that answers (False for another broker, e.g. make run's filesystem)."""
    import redis

    if not url.startswith(("redis://", "rediss://", "unix://")):
        return False
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


class Processes:
    """Processes started for one test (Celery workers and beats here, gunicorn in tests/operations),
    stopped (and reaped) at its end; each one's output in `<name>.log` of the test's folder."""

    def __init__(self, env: dict[str, str], tmp_path: Path):
        self.env, self.tmp_path, self.running = env, tmp_path, []

    def run(self, name: str, *command: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((process, log))
        return process

    def start(self, *args: str, name: str) -> subprocess.Popen:
        """`celery -A aftersales <args>`."""
        return self.run(name, CELERY, "-A", "aftersales", *args)

    def worker(self, name: str, *extra: str) -> None:
        """A worker of one process; without `-Q` among `extra` it consumes every queue."""
        self.start(
            "worker",
            "-l",
            "info",
            "-c",
            "1",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            *extra,
            name=name,
        )

    def beat(self) -> None:
        self.start("beat", "-l", "info", "-s", str(self.tmp_path / "beat-schedule"), name="beat")

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

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(self.tmp_path.glob("*.log")))


def environment(database_url: str, broker: str, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": "celery-tests",
        "SLA_SWEEP_SECONDS": "1",
        "DELIVERY_RETRY_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "AFTERSALES_VAR_DIR": str(tmp_path / "var"),
        # The test's files: what a worker writes through the default storage, this process reads.
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def wait_for(condition, *, seconds: float, processes: Processes, what: str, all_running: bool = False):
    """The condition's first true value within `seconds`; with `all_running`, fail as soon as one of the
    processes has stopped (a server that died will not make it true)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if all_running and any(process.poll() is not None for process, _log in processes.running):
            pytest.fail(f"a process stopped while waiting for {what}\n{processes.logs()}")
        time.sleep(0.25)
    pytest.fail(f"{what} did not happen within {seconds} s\n{processes.logs()}")


def wait_for_workers(names: list[str], broker: str, processes: Processes) -> Celery:
    app = Celery("probe", broker=broker, set_as_current=False)  # the project's tasks keep their app
    wait_for(
        lambda: (
            {name for reply in app.control.ping(timeout=0.5) for name in reply}
            >= {f"{n}@{os.uname().nodename}" for n in names}
        ),
        seconds=180,  # a busy 2-core machine takes a while to boot two workers
        processes=processes,
        what=f"workers {names} answering",
    )
    return app


def reset_producer_pool(app) -> None:
    """Forget the app's broker connections, so the next message goes to the broker the environment names."""
    app.pool.force_close_all()
    pools.reset()  # kombu's own registries of pools keep the closed one for the same URL
    app._pool = None
    app.amqp._producer_pool = None
