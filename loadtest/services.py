"""Servers a load run starts for itself: private PostgreSQL and Redis that `make faults` may stop and
restart at will; the local S3 server and the streaming replica of `make scale` (LocalS3 is also the tests'
bucket server, tests/s3.py).

The private ones listen on 127.0.0.1 on ports of their own (55432 and 56379 unless taken), keep their files under
the given directory and are removed at the end: the machine's own servers are never touched.
PostgreSQL refuses to run as root, so as root its commands run as the `postgres` OS user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3

Log = Callable[[str], None]


def free_port(preferred: int) -> int:
    """`preferred` if nothing listens there, else any free port of the loopback."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            # As the servers do: connections of a stopped server in TIME_WAIT do not hold the port.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port on 127.0.0.1")


def wait_until(condition: Callable[[], bool], *, seconds: float, step: float = 0.2) -> bool:
    """Poll `condition` until it holds or `seconds` pass; return whether it held."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def postgres_bindir() -> Path:
    """$PG_BINDIR, else the newest /usr/lib/postgresql/<version>/bin, else where `pg_ctl` is on PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if installed:
        return installed[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("PostgreSQL server binaries not found: install postgresql or set PG_BINDIR")


class PrivatePostgres:
    """A throwaway cluster: made by `create` (initdb), trust authentication, loopback only, deleted by
    `remove`."""

    def __init__(self, root: Path, *, port: int = 55432, log: Log = print) -> None:
        self.root, self.log = root.resolve(), log  # the server runs in its data directory
        self.data, self.run_dir = self.root / "data", self.root / "run"
        self.logfile = self.root / "postgres.log"
        self.port = free_port(port)
        self.bindir = postgres_bindir()
        # initdb and the server refuse root: run them as the `postgres` user, which must own the files.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [*self.as_user, str(self.bindir / tool), *args],
            check=False,
            timeout=timeout,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed: {result.stderr.strip()} (see {self.logfile})"
            )

    def _pg_ctl(self, *args: str, timeout: float = 90) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), *args, timeout=timeout)

    def create(self) -> None:
        """A new cluster (initdb) configured for this port, then started."""
        if self.data.exists():  # left by an interrupted run
            self.remove()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.run_dir, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.run_dir}'\nmax_connections = 100\n"
                "shared_buffers = 128MB\n"
            )
        self.start()
        self.log(f"private PostgreSQL {self.bindir.parent.name} on 127.0.0.1:{self.port} ({self.data})")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("start", "-w", "-t", "60")

    def is_up(self) -> bool:
        result = subprocess.run(
            [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"],
            check=False,
            timeout=10,
        )
        return result.returncode == 0

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut and their transactions rolled back."""
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")

    def restart(self, down_seconds: float = 0) -> None:
        """`pg_ctl restart -m fast`, or a fast stop, `down_seconds` without a server, and a start."""
        if not down_seconds:
            self._pg_ctl("restart", "-m", "fast", "-w", "-t", "60")
            return
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(self.data, ignore_errors=True)


class PrivateRedis:
    """redis-server as a child process, no persistence: a restart starts with an empty broker."""

    def __init__(self, root: Path, *, port: int = 56379, log: Log = print) -> None:
        self.root, self.log = root.resolve(), log
        self.port = free_port(port)
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server not found: install redis-server")
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # A server that is still exiting may hold the port a moment.
        if not wait_until(lambda: free_port(self.port) == self.port, seconds=30):
            raise RuntimeError(f"port {self.port} stays busy")
        with (self.root / "redis.log").open("a") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.root),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if not wait_until(self.is_up, seconds=30):
            raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


@contextlib.contextmanager
def private_services(
    root: Path, *, pg_port: int = 55432, redis_port: int = 56379, log: Log = print
) -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    """Both servers started under `root`, stopped and their files removed however the block ends."""
    postgres = PrivatePostgres(root / "pg", port=pg_port, log=log)
    redis = PrivateRedis(root / "redis", port=redis_port, log=log)
    try:
        postgres.create()
        redis.start()
        log(f"private Redis on 127.0.0.1:{redis.port}")
        yield postgres, redis
    finally:
        redis.stop()
        postgres.remove()


class LocalS3:
    """moto's S3 server mode (`python -m moto.server`, from PyPI) as a child process on a free port: the
    bucket of `make scale` and of the storage tests (tests/s3.py)."""

    KEYS = {"AWS_ACCESS_KEY_ID": "aftersales-test", "AWS_SECRET_ACCESS_KEY": "aftersales-test-secret"}
    REGION = "cn-north-1"

    def __init__(self, logfile: Path) -> None:
        self.logfile = logfile
        self.port = free_port(0)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with self.logfile.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if not wait_until(self.is_up, seconds=timeout, step=0.1):
            self.stop()
            raise RuntimeError(f"moto_server did not start on {self.endpoint} (log: {self.logfile})")

    def is_up(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                return True
        except OSError:
            return False

    def create_bucket(self, name: str, prefix: str = "media") -> dict[str, str]:
        return create_bucket(self.endpoint, name, prefix)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=LocalS3.REGION,
        **{key.lower(): value for key, value in LocalS3.KEYS.items()},
    )


def create_bucket(endpoint: str, name: str, prefix: str = "media") -> dict[str, str]:
    """A new private bucket on the S3 server at `endpoint`: the environment that makes the app keep its
    files under `prefix` in it (aftersales.env.env_file_storage)."""
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": LocalS3.REGION}
    )
    return {
        "STORAGE_URL": f"s3://{name}/{prefix}",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": LocalS3.REGION,
        **LocalS3.KEYS,
    }


class StreamingReplica:
    """A streaming replica of the machine's PostgreSQL made by scripts/replica.sh on `port` through a
    replication slot, removed by `remove` (its cluster stopped, its data directory deleted, its slot
    dropped)."""

    def __init__(self, port: int, *, log: Log = print) -> None:
        self.port, self.log = port, log
        self.script = Path(__file__).resolve().parents[1] / "scripts" / "replica.sh"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float) -> None:
        result = subprocess.run(
            [str(self.script), *args],
            # A slot: the primary keeps the WAL the replica needs however busy it is; `remove` drops it.
            env={**os.environ, "REPLICA_PORT": str(self.port), "REPLICA_SLOT": "1"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        for line in result.stdout.strip().splitlines():
            self.log(f"  {line}")
        if result.returncode != 0:
            raise RuntimeError(f"scripts/replica.sh {' '.join(args)} failed: {result.stderr.strip()}")

    def create(self) -> None:
        self._run(timeout=900)

    def remove(self) -> None:
        self._run("remove", timeout=120)
