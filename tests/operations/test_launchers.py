"""How the app is launched keeps the operations features on: the compose web service is healthy only
when /readyz says so, logs JSON, and shares one metrics folder with the worker; `make run` gives its
processes one fresh metrics folder."""

from __future__ import annotations

import yaml

from tests.operations.conftest import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_checks_the_web_service_with_readyz():
    check = compose()["services"]["web"]["healthcheck"]
    assert any("/readyz" in part for part in check["test"])


def test_compose_logs_json_and_web_and_worker_share_the_metrics_folder():
    services = compose()["services"]
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["LOG_FORMAT"] == "json"
        folder = environment["PROMETHEUS_MULTIPROC_DIR"]
        assert any(volume.endswith(f":{folder}") for volume in services[name]["volumes"])
    # Emptied by the one-shot service that runs before both start, never while they run.
    assert "PROMETHEUS_MULTIPROC_DIR" not in str(services["web"].get("command", ""))
    assert "/app/var/prometheus" in " ".join(services["migrate"]["command"])


def test_make_run_starts_its_processes_with_one_fresh_metrics_folder():
    script = (ROOT / "scripts" / "run.sh").read_text()
    export = script.index("export PROMETHEUS_MULTIPROC_DIR")
    assert export < script.index('"$PY/celery" -A aftersales worker') and export < script.index(
        '"$PY/gunicorn"'
    )
    assert """find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete""" in script


def test_every_launcher_serves_with_the_set_up_of_gunicorn_conf():
    """Workers × threads are chosen once, by measurement (aftersales/gunicorn_conf.py, issue #19): `make run`,
    the image that docker-compose's web service runs and the load tests' stack pass none of their own."""
    for launcher in ("scripts/run.sh", "Dockerfile", "loadtest/stack.py"):
        text = (ROOT / launcher).read_text()
        assert "python:aftersales.gunicorn_conf" in text
    for launcher in ("scripts/run.sh", "Dockerfile"):
        text = (ROOT / launcher).read_text()
        assert "--workers" not in text and "--threads" not in text
    assert "command" not in compose()["services"]["web"]  # the image's CMD
