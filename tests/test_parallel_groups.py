"""make test's two processes (tests/conftest.py): every test module that starts Celery workers, uses the
broker's Redis database or a fixed port runs in the one process of SERVICE_PATHS."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import TestCase

from tests.conftest import (
    SERVICE_PATHS,
    ServicesTogether,
    pytest_collection_modifyitems,
    pytest_xdist_make_scheduler,
)

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
    shutting_down = False

    def __init__(self, name):
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []

    def send_runtest_some(self, indexes):
        self.sent.extend(indexes)

    def shutdown(self):
        pass


class _Config:
    def __init__(self):
        self.option = SimpleNamespace(loadscopereorder=True)  # xdist's default: the biggest unit first

    def getvalue(self, name):
        assert name == "tx"
        return ["2*popen"]


def test_the_units_are_given_out_in_the_order_of_the_collection():
    """Sorted by size, the services' unit would go first: its flushes would empty the migrations' rows
    before its process went on with tests that need them."""
    ids = ["tests/a.py::t1", "tests/b.py::t2", "tests/integration/x.py::s1", "tests/integration/x.py::s2"]
    ids += ["tests/c.py::t3", "tests/d.py::t4"]
    scheduler = pytest_xdist_make_scheduler(_Config(), None)
    first, second = _Worker("gw0"), _Worker("gw1")
    for worker in (first, second):
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, ids)
    scheduler.schedule()
    for index in list(first.sent):  # the first process runs what it was sent and asks for more
        scheduler.mark_test_complete(first, index)
    # Two units each to start, then one more whenever a process has two tests or fewer left.
    assert first.sent == [0, 2, 3, 5] and second.sent == [1, 4]


def fake_item(nodeid, *fixtures, marker=None, test_class=None):
    return SimpleNamespace(
        nodeid=nodeid,
        fixturenames=list(fixtures),
        cls=test_class,
        get_closest_marker=lambda name: marker if name == "django_db" else None,
    )


def test_the_services_run_as_one_block_after_every_rolled_back_test():
    """In the order pytest-django sorted them: in a rolled-back transaction, committed, no database."""
    items = [
        fake_item("tests/a.py::rolled_back", "db"),
        fake_item("tests/operations/test_health.py::rolled_back", "db"),
        fake_item("tests/b.py::marked", marker=pytest.mark.django_db().mark),
        fake_item("tests/c.py::django_test_case", test_class=TestCase),
        fake_item("tests/integration/x.py::committed", "db", "transactional_db"),
        fake_item("tests/d.py::committed", "db", "transactional_db"),
        fake_item("tests/e.py::marked_committed", marker=pytest.mark.django_db(transaction=True).mark),
        fake_item("tests/e.py::marked_committed_by_position", marker=pytest.mark.django_db(True).mark),
        fake_item("tests/f.py::no_database"),
    ]
    pytest_collection_modifyitems(items)
    assert [item.nodeid for item in items] == [
        "tests/a.py::rolled_back",
        "tests/b.py::marked",
        "tests/c.py::django_test_case",
        "tests/operations/test_health.py::rolled_back",
        "tests/integration/x.py::committed",
        "tests/d.py::committed",
        "tests/e.py::marked_committed",
        "tests/e.py::marked_committed_by_position",
        "tests/f.py::no_database",
    ]
