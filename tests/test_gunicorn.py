"""gunicorn as the app is served: no `Server` banner (issue #15), and every launcher uses that config."""

import gc
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aftersales import gunicorn_conf

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "python:aftersales.gunicorn_conf"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn():
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "aftersales.wsgi", "--config", CONFIG]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "test-only"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_no_server_banner(gunicorn):
    with urllib.request.urlopen(f"{gunicorn}/api/schema", timeout=30) as response:
        assert response.status == 200
        assert "Server" not in response.headers
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("launcher", ["Dockerfile", "scripts/run.sh", "loadtest/stack.py"])
def test_every_launcher_serves_with_that_config(launcher):
    text = (ROOT / launcher).read_text()
    assert text.count("gunicorn") and CONFIG in text


def test_a_workers_loaded_objects_are_kept_out_of_garbage_collection():
    """Frozen after the app is loaded (gunicorn's post_worker_init): full collections then walk only what
    requests made. Checked by calling the hook, as gunicorn does in each worker."""
    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
