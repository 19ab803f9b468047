"""Imported into a test's Celery worker (`celery worker -I tests.slow_callbook`): every step of a call book
import's progress takes SLOW_CALLBOOK_STEP_SECONDS (default 0.001 s), so a test sees the progress move
with a few thousand rows — written with COPY they are in well within one progress interval otherwise.
Everything else in the worker is as in production; the 100,000-row browser test runs at full speed."""

from __future__ import annotations

import os
import time

from tickets.callbook import Progress

STEP_SECONDS = float(os.environ.get("SLOW_CALLBOOK_STEP_SECONDS", "0.001"))
_call = Progress.__call__


def slow_call(self: Progress, done: int, *, force: bool = False) -> None:
    time.sleep(STEP_SECONDS)
    _call(self, done, force=force)


Progress.__call__ = slow_call
