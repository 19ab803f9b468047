"""/metrics as deployed: gunicorn with two workers and a Celery worker, all writing to one
PROMETHEUS_MULTIPROC_DIR; any web worker's scrape adds up every process's values."""

from __future__ import annotations

import pytest
from django.db import connection

from aftersales.celery import app as celery_app
from tests.conftest import require
from tests.operations.conftest import free_port, get
from tests.operations.metrics import value

TOKEN = "scrape-token-for-tests"

pytestmark = pytest.mark.postgres


@pytest.fixture
def shared_database(transactional_db) -> str:
    require(connection.vendor == "postgresql", "PostgreSQL: set DATABASE_URL=postgres://…")
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_every_process_counts_in_one_scrape(shared_database, redis_broker, processes, tmp_path):
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    processes.env |= {
        "DATABASE_URL": shared_database,
        "CELERY_BROKER_URL": redis_broker,
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
        "METRICS_TOKEN": TOKEN,
    }
    web = processes.gunicorn(free_port(), workers=2)
    processes.worker("worker")

    def scrape() -> str:
        status, text = get(f"{web}/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200, text
        return text

    for _ in range(20):
        assert get(f"{web}/healthz") == (200, "ok")
    celery_app.send_task("tickets.tasks.sla_sweep")

    sweeps = "aftersales_sla_sweep_duration_seconds_count"
    text = processes.wait_for(
        lambda: (text := scrape()) and value(text, sweeps) >= 1 and text,
        seconds=120,
        what="the worker's SLA sweep in the web's scrape",
    )
    # Twenty requests, whichever worker took each, and the sweep the Celery worker ran.
    assert (
        value(
            text, "aftersales_http_request_duration_seconds_count", view="healthz", method="GET", status="200"
        )
        == 20
    )
    assert value(text, sweeps) == 1
    assert (
        len({path.name.rsplit("_", 1)[-1] for path in multiproc_dir.glob("*.db")}) >= 2
    )  # files of several processes
