"""A generated call book imported through a real Celery worker process (Redis broker, PostgreSQL shared
with this test): the dry run and the import run as tasks, the progress moves while the import's
transaction is open, the whole book is in within a bounded time, and the batch is undone.

CALLBOOK_ROWS sets the size (default 5,000: the 2 shared cores of CI); `make bench-callbook` runs
100,000 rows and prints rows/s and memory (docs/performance.md has the figures).
"""

from __future__ import annotations

import os
import time

import pytest

from accounts.models import Role
from customers.models import Customer, ImportBatch, Unit
from loadtest.callbook import as_csv, generate_rows
from tests.celery_workers import BROKER, wait_for, wait_for_workers
from tests.customers.factories import ProductModelFactory
from tickets import callbook, tasks
from tickets.models import RepairTicket, State

pytestmark = pytest.mark.postgres

ROWS = int(os.environ.get("CALLBOOK_ROWS", "5000"))
# Bounded: at least 150 rows/s end to end (dry run + import) on a loaded 2-core machine, plus the start.
SECONDS = 60 + ROWS / 150


def test_a_generated_call_book_goes_through_the_worker_with_progress_and_is_undone(
    celery_processes,
    persona,
    headquarters,
    branch_a,
):
    admin = persona(Role.ADMIN, branch=headquarters, username="admin")
    ProductModelFactory(code="BENCH-KFR35")
    content = as_csv(generate_rows(ROWS, model_code="BENCH-KFR35"), "gb18030")
    batch = ImportBatch.objects.create(
        file_name="call-book.csv", content=content, branch=branch_a, created_by=admin
    )
    celery_processes.worker("importer", "-I", "tests.slow_callbook")  # progress seen moving
    wait_for_workers(["importer"], BROKER, celery_processes)

    started = time.monotonic()
    tasks.check_callbook.delay(batch.pk)  # the project's app: routed to its queue
    wait_for(
        lambda: ImportBatch.objects.get(pk=batch.pk).state == ImportBatch.State.CHECKED,
        seconds=SECONDS,
        processes=celery_processes,
        what="the dry run",
    )
    assert not Customer.objects.exists()  # a dry run writes nothing
    callbook.start_import(batch_id=batch.pk, user=admin)
    tasks.import_callbook.delay(batch.pk)
    seen = set()

    def imported() -> bool:
        current = ImportBatch.objects.values_list("state", "rows_done").get(pk=batch.pk)
        seen.add(current)
        return current[0] == ImportBatch.State.DONE

    wait_for(imported, seconds=SECONDS, processes=celery_processes, what="the import")
    elapsed = time.monotonic() - started
    print(
        f"{ROWS} rows checked and imported through the worker in {elapsed:.1f} s: {ROWS / elapsed:.0f} rows/s"
    )
    # The page saw the import move: progress below the total while it was still running.
    assert any(state == ImportBatch.State.IMPORTING and 0 < done < ROWS for state, done in seen), seen
    assert RepairTicket.objects.filter(import_batch=batch, state=State.CLOSED).count() == ROWS
    assert Customer.objects.filter(import_batch=batch).count() == ROWS // 2
    assert Unit.objects.filter(import_batch=batch).count() == ROWS // 2

    callbook.start_undo(batch_id=batch.pk, user=admin)
    tasks.undo_callbook.delay(batch.pk)
    wait_for(
        lambda: ImportBatch.objects.get(pk=batch.pk).state == ImportBatch.State.UNDONE,
        seconds=SECONDS,
        processes=celery_processes,
        what="the undo",
    )
    assert not RepairTicket.objects.exists() and not Unit.objects.exists() and not Customer.objects.exists()
    assert ImportBatch.objects.get(pk=batch.pk).state == ImportBatch.State.UNDONE
