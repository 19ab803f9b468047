"""Imported into a test's Celery worker (`celery worker -I tests.slow_exports`): every row an export
writes takes SLOW_EXPORT_ROW_SECONDS (default 0.05 s), so a test sees a long export run — its progress
going up, another queue's task finishing first — with a few dozen rows instead of a real month's
hundred thousand. Everything else in the worker is as in production."""

from __future__ import annotations

import os
import time

from reports.export_jobs import Progress

ROW_SECONDS = float(os.environ.get("SLOW_EXPORT_ROW_SECONDS", "0.05"))
_step = Progress.step


def slow_step(self: Progress) -> None:
    time.sleep(ROW_SECONDS)
    _step(self)


Progress.step = slow_step
