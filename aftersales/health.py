"""What the readiness probe and the metrics scrape ask of the app's dependencies.

Each check answers quickly or not at all: Redis gets 1 s to connect and answer, no retries (redis-py
would otherwise retry with back-off); the storage check runs in a helper thread the probe waits for at
most PROBE_TIMEOUT; PostgreSQL is bounded by DATABASE_CONNECT_TIMEOUT (settings). A check never raises:
the probe says "not ready" and the reason goes to the log, never into the answer.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
from collections.abc import Callable, Iterable

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from kombu.exceptions import ChannelError
from kombu.transport.redis import PRIORITY_STEPS
from kombu.transport.redis import Channel as RedisChannel
from redis.backoff import NoBackoff
from redis.retry import Retry

from aftersales.celery import app as celery_app

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0  # seconds, for the whole of a check that may hang (network storage)
REDIS_TIMEOUT = 1.0
# A name no upload gets (uploads live under dated folders): exists() on it touches the storage only.
STORAGE_PROBE_NAME = "readiness-probe/.probe"
# Storage checks run here, so that a hung object store costs the probe PROBE_TIMEOUT, not the thread;
# two workers, so one stuck call does not make every later probe wait behind it.
_checker = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="readiness")


def database_ready() -> bool:
    """The database answers and every migration on disk is applied (a new release whose migrate job has
    not run yet is not ready: its code would query columns that do not exist)."""
    try:
        applied = set(MigrationRecorder(connection).applied_migrations())
    except DatabaseError:
        logger.warning("readiness: database unavailable", exc_info=True)
        return False
    # Every migration on disk, not only the plan to the leaves: a plan is empty for a leaf recorded as
    # applied even when one before it is not. A squashed migration counts once all it replaces are.
    return all(
        key in applied or (replaces and replaces <= applied) for key, replaces in _migrations_on_disk()
    )


@functools.cache
def _migrations_on_disk() -> tuple[tuple[tuple[str, str], frozenset[tuple[str, str]]], ...]:
    """Each migration of the running code, with what it replaces. Read once per process: the files do not
    change under a running process, and importing every migration module took seconds on a busy machine
    (the probe only asks the database which are recorded)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return tuple((key, frozenset(graph.nodes[key].replaces or ())) for key in graph.nodes)


def storage_ready() -> bool:
    """The default storage (local disk or object storage) answers a lookup, through the storage API."""
    return _within_timeout(_look_up_probe_file, "storage")


def _look_up_probe_file() -> bool:
    default_storage.exists(STORAGE_PROBE_NAME)  # the answer does not matter: that there is one does
    return True


def broker_ready() -> bool:
    return queue_lengths() is not None


def queue_lengths(queues: Iterable[str] | None = None) -> dict[str, int] | None:
    """Messages waiting in each Celery queue (all of the app's queues by default); None when the broker
    cannot be reached. Redis: LLEN of the queue's lists (kombu keeps one list per priority step)."""
    names = list(queues if queues is not None else celery_app.amqp.queues.keys())
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            return _redis_queue_lengths(url, names)
        return _kombu_queue_lengths(names)
    except (redis.RedisError, OSError, ChannelError):
        logger.warning("readiness: broker unavailable", exc_info=True)
        return None


def _redis_queue_lengths(url: str, names: list[str]) -> dict[str, int]:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT, retry=Retry(NoBackoff(), 0)
    )
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                for step in PRIORITY_STEPS:
                    pipe.llen(f"{name}{RedisChannel.sep}{step}" if step else name)
            lengths = pipe.execute()
    finally:
        client.close()
    per_queue = len(PRIORITY_STEPS)
    return {name: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, name in enumerate(names)}


def _kombu_queue_lengths(names: list[str]) -> dict[str, int]:
    """Other transports (the filesystem broker of `make run`): kombu's own count of a queue."""
    lengths = {}
    with celery_app.connection_for_read() as broker, broker.channel() as channel:
        for name in names:
            try:
                lengths[name] = channel.queue_declare(name, passive=True).message_count
            except ChannelError:  # never declared: nothing was ever queued there
                lengths[name] = 0
    return lengths


def _within_timeout(check: Callable[[], bool], what: str) -> bool:
    future = _checker.submit(check)
    try:
        return future.result(timeout=PROBE_TIMEOUT)
    except concurrent.futures.TimeoutError:
        logger.warning("readiness: %s did not answer within %s s", what, PROBE_TIMEOUT)
        return False
    except Exception:
        logger.warning("readiness: %s unavailable", what, exc_info=True)
        return False
