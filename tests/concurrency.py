"""Run attempts at the same moment, each on its own database connection (for PostgreSQL race tests)."""

from __future__ import annotations

import threading

from django.db import connections


def race(*attempts):
    """Run each attempt in its own thread (and so its own connection), released together; return each
    attempt's result or the exception it raised, in order."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list = [None] * len(attempts)

    def run(index, attempt):
        try:
            barrier.wait()
            outcomes[index] = attempt()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, attempt)) for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
