"""make test's two processes (tests/conftest.py): every test module that starts Celery workers, uses the
broker's Redis database or a fixed port runs in the one process of SERVICE_PATHS."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

from tests.conftest import SERVICE_PATHS, ServicesTogether

TESTS = Path(__file__).resolve().parent
# What two processes may not use at once: Celery workers on the broker (the fixtures that start them,
# celery's in-process worker, the tests' broker), the read replica's fixed port, a fixed Redis port.
SHARED = re.compile(
    r"\b(celery_processes|redis_broker|start_worker|celery_workers|streaming_replica|DEAD_BROKER_PORT)\b"
)


def test_every_module_that_shares_a_service_runs_in_the_services_process():
    sharing = {
        path.relative_to(TESTS.parent).as_posix()
        for path in TESTS.rglob("test_*.py")
        if path.name != Path(__file__).name and SHARED.search(path.read_text())
    }
    assert sharing, "the pattern finds the modules that start Celery workers"
    assert sorted(path for path in sharing if not path.startswith(SERVICE_PATHS)) == []


def test_the_services_are_one_unit_and_every_other_test_its_own():
    split = ServicesTogether._split_scope
    assert split(None, "tests/integration/test_queues.py::test_x") == "services"
    assert split(None, "tests/reports/test_export_jobs.py::test_y[a]") == "services"
    assert split(None, "tests/reports/test_views.py::test_z") == "tests/reports/test_views.py::test_z"


class _Worker:
    def __init__(self):
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indexes):
        self.sent.append(indexes)


def test_the_services_unit_is_given_out_after_every_other_test():
    """Given out first (xdist sorts units by size), its flushes emptied the migrations' rows before its
    process went on with tests that need them."""
    ids = ["tests/a.py::t1", "tests/integration/x.py::s1", "tests/integration/x.py::s2", "tests/b.py::t2"]
    scheduler = object.__new__(ServicesTogether)
    worker = _Worker()
    scheduler.registered_collections = {worker: ids}
    scheduler.assigned_work = {}
    scheduler.workqueue = OrderedDict()
    for nodeid in ids:
        scheduler.workqueue.setdefault(scheduler._split_scope(nodeid), {})[nodeid] = False
    scheduler.workqueue.move_to_end("services", last=False)  # where xdist's sort by size puts it
    for _ in range(3):
        scheduler._assign_work_unit(worker)
    assert worker.sent == [[0], [3], [1, 2]]
