"""The application as it runs in production, started by a load run: gunicorn, a Celery worker and beat,
on a PostgreSQL database and a Redis broker named by the caller.

Used by `python -m loadtest.soak` and `python -m loadtest.faults`. Each process runs in its own session
(process group), so stopping or killing one takes its children (gunicorn's and Celery's pool workers)
with it, and nothing is left behind when the run ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

import django
import psycopg2
from django.apps import apps
from django.db import connection
from psycopg2 import sql

from aftersales import gunicorn_conf

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
PYTHON = sys.executable
# Databases a load run must never drop: CI's, the server's own and the lead's million-ticket benchmark.
PROTECTED_DATABASES = {"test", "test_test", "postgres", "root", "aftersales_bench"}
# Collected once and reused by every run (collectstatic only copies what changed).
STATIC_ROOT = ROOT / "var" / "loadtest-static"
START_TIMEOUT = 180.0  # seconds; a busy 2-core machine boots gunicorn slowly
STOP_TIMEOUT = 20.0


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def check_disposable(name: str) -> None:
    """Refuse to drop a database that belongs to someone else."""
    if not name or name in PROTECTED_DATABASES or name.startswith("template"):
        raise ValueError(f"refusing to drop and recreate the database {name!r}")


def app_environment(database_url: str, broker_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of every Django process of a run: production settings on plain loopback http."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "loadtest-only",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The deployment's TLS settings (on by .env.example) make no sense for http on 127.0.0.1.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "BEHIND_TLS_PROXY": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(STATIC_ROOT),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    if broker_url is not None:
        env["CELERY_BROKER_URL"] = broker_url
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(extra)
    return env


def use_database(database_url: str) -> None:
    """Set Django up in this process on `database_url`, or check that the running setup already uses it
    (tests)."""
    if apps.ready:
        if connection.settings_dict["NAME"] != database_name(database_url):
            raise ValueError(f"Django already uses {connection.settings_dict['NAME']}, not {database_url}")
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    os.environ.setdefault("SECRET_KEY", "loadtest-only")
    django.setup()


def manage(*args: str, env: dict[str, str], log: Callable[[str], None] = print) -> None:
    """Run a manage.py command; on failure raise with its output."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    for line in result.stdout.strip().splitlines()[-3:]:
        log(f"  {line}")


def recreate_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = database_name(database_url)
    check_disposable(name)
    # Connected to template1, not to the server's `postgres` database (reserved for CI).
    template1 = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="template1",
    )
    try:
        template1.autocommit = True
        with template1.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        template1.close()


def prepare_database(database_url: str, *, log=print, extra_env: dict[str, str] | None = None) -> None:
    """Drop and recreate the database, migrate, load the demo data and the load-run fixtures
    (loadtest.fixtures: users with a known password, limited stock, tickets to race on). `extra_env`:
    settings of the run's processes that matter to what is written (`make scale`'s bucket)."""
    name = database_name(database_url)
    check_disposable(name)
    started = time.monotonic()
    log(f"Recreating database {name} …")
    recreate_database(database_url)
    env = app_environment(database_url, **(extra_env or {}))
    manage("migrate", "--no-input", "-v", "0", env=env, log=log)
    manage("seed_demo", env=env, log=log)
    result = subprocess.run(
        [PYTHON, "-m", "loadtest.fixtures"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"loadtest.fixtures failed:\n{result.stdout}\n{result.stderr}")
    for line in result.stdout.strip().splitlines():
        log(f"  {line}")
    log(f"Database {name} ready in {time.monotonic() - started:.0f} s.")


def collect_static(env: dict[str, str]) -> None:
    """WhiteNoise's manifest storage (DEBUG=0) needs collected files; two runs at once share one lock."""
    STATIC_ROOT.parent.mkdir(parents=True, exist_ok=True)
    with open(STATIC_ROOT.parent / "loadtest-static.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manage("collectstatic", "--no-input", "-v", "0", env=env, log=lambda _line: None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def children(pid: int) -> list[int]:
    """Direct children of a process, from /proc."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class Stack:
    """gunicorn + Celery worker + Celery beat as subprocesses of this process."""

    def __init__(
        self,
        database_url: str,
        broker_url: str,
        *,
        log_dir: pathlib.Path,
        port: int | None = None,
        web_workers: int | None = None,
        threads: int | None = None,
        worker_concurrency: int = 2,
        beat: bool = True,
        extra_env: dict[str, str] | None = None,
    ):
        self.database_url, self.broker_url = database_url, broker_url
        self.log_dir = pathlib.Path(log_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The serving set-up of aftersales.gunicorn_conf (WEB_WORKERS, WEB_THREADS) unless a run sets its own;
        # its timeout always (a sync worker busy past it is restarted).
        self.web_workers = web_workers or gunicorn_conf.workers
        self.threads = threads or gunicorn_conf.threads
        self.worker_concurrency, self.beat = worker_concurrency, beat
        # extra_env may replace any of these (`make scale`: SITE_URL is the proxy's address).
        self.env = app_environment(
            database_url,
            broker_url,
            **{
                "SITE_URL": self.url,
                "AFTERSALES_VAR_DIR": str(self.log_dir / "var"),
                "MEDIA_ROOT": str(self.log_dir / "media"),
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.log_dir / "mail"),
                **(extra_env or {}),
            },
        )
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: dict[str, object] = {}

    # --- processes ---------------------------------------------------------------------------------

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "a")  # noqa: SIM115 (closed when the process is reaped)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: signals reach the pool children too
        )
        self.processes[name], self._logs[name] = process, log
        return process

    def _reap(self, name: str, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Pool children that outlived their parent (SIGKILL of the parent alone) go too, and are waited for.
        deadline = time.monotonic() + STOP_TIMEOUT
        with contextlib.suppress(ProcessLookupError, PermissionError):
            while time.monotonic() < deadline:
                os.killpg(process.pid, signal.SIGKILL)
                time.sleep(0.1)
        self._logs.pop(name).close()

    def start(self) -> None:
        """Start web, worker and beat; return when the login page answers 200."""
        (self.log_dir / "var").mkdir(parents=True, exist_ok=True)
        collect_static(self.env)
        self.start_web(wait=False)
        self.start_worker()
        if self.beat:
            self.start_beat()
        try:
            self._wait_for_login_page()
        except Exception:
            self.stop()
            raise

    def start_web(self, *, wait: bool = True) -> None:
        """gunicorn on this stack's port (again, after a kill); with `wait`, until the login page answers."""
        self._reap("web")
        self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "aftersales.wsgi",
                "--config",
                "python:aftersales.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.web_workers),
                "--threads",
                str(self.threads),
                "--graceful-timeout",
                "10",
                # Longer than a user's pause between two requests: with gunicorn's default of 2 s an idle
                # connection is closed just as the client reuses it, and the request fails in transport.
                "--keep-alive",
                "10",
                # gunicorn's control socket defaults to one path per user (~/.gunicorn): runs side by side
                # (soak, faults, bench) would share it.
                "--no-control-socket",
            ],
        )
        if wait:
            self._wait_for_login_page()

    def start_beat(self) -> None:
        self._reap("beat")
        self._spawn(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "aftersales",
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(self.log_dir / "celerybeat-schedule"),
            ],
        )

    def _wait_for_login_page(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last_error = "no answer"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with status {process.returncode} while starting; "
                        f"{self.log_dir / f'{name}.log'}:\n{tail(self.log_dir / f'{name}.log')}"
                    )
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=5) as response:
                    if response.status == 200:
                        return
                    last_error = f"status {response.status}"
            except urllib.error.HTTPError as exc:
                last_error = f"status {exc.code}"
            except OSError as exc:
                last_error = str(exc)
            time.sleep(0.5)
        raise RuntimeError(
            f"the login page at {self.url}/login/ did not answer 200 within {START_TIMEOUT:.0f} s "
            f"({last_error}); web log:\n{tail(self.log_dir / 'web.log')}"
        )

    def stop(self) -> None:
        """Terminate everything (SIGTERM, then SIGKILL after a timeout); safe to call twice."""
        for name in list(self.processes):
            self._reap(name)

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- what the runs look at and break ---------------------------------------------------------

    def web_worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        web = self.processes.get("web")
        if web is None or web.poll() is not None:
            return []
        return children(web.pid)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to a process ("web", "worker", "beat") and all its children, and reap it."""
        self._reap(name, sig=sig)

    def kill_worker(self, sig: int = signal.SIGKILL) -> None:
        self.kill("worker", sig)

    def pid(self, name: str) -> int | None:
        process = self.processes.get(name)
        return process.pid if process is not None and process.poll() is None else None

    def start_worker(self) -> None:
        self._reap("worker")
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "aftersales",
                "worker",
                "--loglevel=WARNING",
                "--concurrency",
                str(self.worker_concurrency),
                # No --queues: the one worker consumes every queue of CELERY_TASK_QUEUES (alerts,
                # default, reports), as make run's two workers do between them.
                "--hostname",
                f"loadtest-{self.port}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    @staticmethod
    def rss_mb(pid: int) -> float:
        """Resident memory of a process in MB (VmRSS of /proc/<pid>/status)."""
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise ProcessLookupError(pid)
