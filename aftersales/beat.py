"""One beat leads, however many run (issue #20): the clocks survive losing the node their beat runs on.

Every `celery beat` runs this scheduler (CELERY_BEAT_SCHEDULER). Each tick it holds a Redis lock with an
expiry (SET NX PX, renewed by the holder; the broker's Redis): the holder sends the due tasks, the
others send nothing and ask again every third of the expiry. A leader that dies stops renewing, its lock
expires (BEAT_LOCK_SECONDS) and a standby takes over at its next try; a leader stopped cleanly gives the
lock back at once.

Who sent what last is kept in Redis too (a hash of the entries' last run times, written as each task is
sent): a beat that takes the lead starts from it, so it sends what came due since and nothing the old
leader already sent, where its own schedule file would know only its own past.

A leader that stalls longer than the expiry (a frozen VM) can overlap with its successor for one tick;
every scheduled task is safe to run twice (settings.CELERY_BEAT_SCHEDULE), so that costs a repeat, not
a wrong result. Without a Redis broker (`make run`'s filesystem broker) there is one beat and it leads.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

LOCK_KEY = "aftersales:beat:leader"
LAST_RUN_KEY = "aftersales:beat:last-run"

# Renew or give back the lock only while it is still ours (another beat may hold it after an expiry).
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

logger = logging.getLogger(__name__)


class LeaderScheduler(PersistentScheduler):
    def __init__(self, app, *args, **kwargs):
        self.lock_ms = int(settings.BEAT_LOCK_SECONDS * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading: bool | None = None  # None: not asked yet
        broker = app.conf.broker_url
        self.redis = (
            redis.Redis.from_url(broker, socket_timeout=5, socket_connect_timeout=5)
            if broker.startswith(("redis://", "rediss://"))
            else None
        )
        super().__init__(app, *args, **kwargs)

    @property
    def standby_interval(self) -> float:
        """How often a standby asks for the lock, and the longest a leader goes without renewing it."""
        return self.lock_ms / 3000

    def tick(self, *args, **kwargs) -> float:
        if self.redis is None:
            return super().tick(*args, **kwargs)
        if not self._hold_lock():
            return self.standby_interval
        return min(super().tick(*args, **kwargs), self.standby_interval)

    def reserve(self, entry):
        new_entry = super().reserve(entry)
        if self.redis is not None:
            try:
                self.redis.hset(LAST_RUN_KEY, entry.name, new_entry.last_run_at.isoformat())
            except redis.RedisError:
                logger.warning("beat: could not record the run of %s in Redis", entry.name, exc_info=True)
        return new_entry

    def close(self) -> None:
        if self.redis is not None and self.leading:
            try:
                self.redis.eval(_RELEASE, 1, LOCK_KEY, self.token)
                logger.info("beat: gave up the lead (%s)", self.token)
            except redis.RedisError:
                logger.warning("beat: could not give up the lead; it expires by itself", exc_info=True)
            self.leading = False
        super().close()

    def _hold_lock(self) -> bool:
        """Renew the lock if it is ours, else try to take it: whether this beat leads now."""
        holder = "?"
        try:
            held = bool(self.leading) and self.redis.eval(_RENEW, 1, LOCK_KEY, self.token, self.lock_ms) == 1
            if not held and self.redis.set(LOCK_KEY, self.token, nx=True, px=self.lock_ms):
                self._start_from_shared_runs()
                held = True
            if not held:
                holder = (self.redis.get(LOCK_KEY) or b"nobody").decode()
        except redis.RedisError as exc:
            held, holder = False, f"nobody (Redis: {exc})"
        if held != self.leading:
            if held:
                logger.info("beat: leading (%s, lock of %s ms)", self.token, self.lock_ms)
            else:
                logger.info("beat: standing by (%s), %s leads", self.token, holder)
        self.leading = held
        return held

    def _start_from_shared_runs(self) -> None:
        """Take each entry's last run from Redis, where every leader records it."""
        runs = self.redis.hgetall(LAST_RUN_KEY)
        for name, entry in self.schedule.items():
            stamp = runs.get(name.encode())
            if stamp:
                entry.last_run_at = datetime.datetime.fromisoformat(stamp.decode())
        self._heap = None  # recomputed from the entries at the next tick
