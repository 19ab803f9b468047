"""aftersales.replica.read_snapshot: one snapshot for several reads, and no parallel workers when asked
(the KPI dashboard's month queries: starting a worker cost more than it saved, issue #19)."""

from __future__ import annotations

import pytest
from django.db import connection

from aftersales.replica import read_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_a_snapshot_without_parallel_workers_turns_them_off_for_its_own_transaction_only():
    default = setting("max_parallel_workers_per_gather")
    assert default != "0"
    with read_snapshot(parallel=False):
        assert setting("max_parallel_workers_per_gather") == "0"
        assert setting("transaction_isolation") == "repeatable read"
    assert setting("max_parallel_workers_per_gather") == default
    with read_snapshot():
        assert setting("max_parallel_workers_per_gather") == default
