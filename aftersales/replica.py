"""Reads that may lag go to the read replica (REPLICA_DATABASE_URL); everything else to the primary.

A view or task opts in explicitly with `reads_from_replica` (a decorator and a context manager); the
router sends reads there only inside it, only when a replica is configured, and never:
- for who the user is and what they may see (accounts, auth, sessions): a revoked role or a user moved
  to another branch takes effect at once, on reports too;
- inside a transaction on the primary: a read there may decide a write (get_or_create, a claim), and a
  replica may not have the rows that transaction is about.
Writes always go to the primary. What reads the replica is listed in the README (Read replica).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import StreamingHttpResponse

REPLICA_DB_ALIAS = "replica"
PRIMARY_ONLY_APPS = frozenset({"accounts", "auth", "sessions", "contenttypes", "axes"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (for a block inside a view, task or service)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def _streamed_in_replica_reads(chunks: Iterator) -> Iterator:
    """A streamed download runs its queries after the view has returned, while the server sends it:
    each chunk is made inside the replica reads, and nothing else that runs between chunks is."""
    while True:
        with replica_reads():
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def reads_from_replica(function: Callable) -> Callable:
    """Decorate a view (or a DRF view's method) or a task whose reads may lag: they go to the replica
    when one is configured. A streamed response keeps reading there while it is sent."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            result = function(*args, **kwargs)
        if isinstance(result, StreamingHttpResponse) and not result.is_async:
            result.streaming_content = _streamed_in_replica_reads(iter(result.streaming_content))
        return result

    return wrapper


def reads_alias() -> str:
    """The database the application's reads go to here and now."""
    if (
        _replica_reads.get()
        and REPLICA_DB_ALIAS in settings.DATABASES
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA_DB_ALIAS
    return DEFAULT_DB_ALIAS


@contextlib.contextmanager
def read_snapshot(*, parallel: bool = True) -> Iterator[None]:
    """Several reads from one snapshot of the database they go to (REPEATABLE READ READ ONLY, which a
    hot standby allows), so that figures read one after the other agree. Inside a caller's transaction
    the isolation is the caller's to choose (SET TRANSACTION must be a transaction's first statement);
    SQLite's transactions are serialised anyway.

    `parallel=False`: no parallel workers for these reads (SET LOCAL, this transaction only). For
    queries over a few thousand rows that the planner costs high because their rows are scattered (a
    month's tickets), starting a worker process costs more than it saves: 30 of a query's 42 ms were
    spent waiting in Gather on the 2-core bench machine (issue #19)."""
    alias = reads_alias()
    database = connections[alias]
    if database.vendor != "postgresql" or database.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with database.cursor() as cursor:
            settings = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
            if not parallel:
                settings += "; SET LOCAL max_parallel_workers_per_gather = 0"
            cursor.execute(settings)
        yield


class ReplicaRouter:
    """DATABASE_ROUTERS: see the module's docstring."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return reads_alias()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Both aliases are the same database (one a copy of the other).
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        # The replica receives the primary's schema by replication; it is read only.
        return db == DEFAULT_DB_ALIAS
