"""`make run` (scripts/run.sh) serves the demo, whose superuser's password is public: it listens on
127.0.0.1 unless HOST says otherwise (issue #15). The script runs in a copy of the tree whose .venv/bin
holds stubs that record their arguments."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUB = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$(dirname "$0")/../../calls"
case "$(basename "$0")" in celery) exec sleep 30 ;; gunicorn) exit 1 ;; esac
"""


def run_script(tmp_path: Path, **environment: str) -> list[str]:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "celery", "gunicorn"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in {"HOST", "PORT"}}
    result = subprocess.run(
        ["bash", "scripts/run.sh"],
        cwd=tmp_path,
        env=env | environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr  # the stub gunicorn "stopped"
    return [line for line in (tmp_path / "calls").read_text().splitlines() if line.startswith("gunicorn")]


def bind_of(call: str) -> str:
    arguments = call.split()
    return arguments[arguments.index("--bind") + 1]


def test_the_demo_listens_on_this_machine_only_by_default(tmp_path):
    [call] = run_script(tmp_path)
    assert bind_of(call) == "127.0.0.1:8000"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20"])
def test_host_opens_it_to_the_network(tmp_path, host):
    [call] = run_script(tmp_path, HOST=host, PORT="9000")
    assert bind_of(call) == f"{host}:9000"
