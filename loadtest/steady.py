"""The steady state of a locust run (`--part http`, read by `loadtest/benchfile.py`): statistics reset once
every user has logged in and `settle` seconds more have passed, then `measure` seconds counted and the run
stopped. Fifty logins hash fifty passwords (PBKDF2, about half a second of CPU each), which holds both
cores for a run's first 15–40 s; a page asked for meanwhile waits behind them.
locust's own `--reset-stats` resets when the last user is started, before its login is answered, so
most of that storm would still count.

Without locust's imports (locust patches the interpreter with gevent on import), so that the test suite,
which does not install locust, can run it: the caller passes gevent's sleep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sized

POLL = 0.5  # seconds between looks at the logins


def measure_steady_state(
    environment,
    logins: Sized,
    *,
    measure: float,
    settle: float,
    sleep: Callable[[float], object],
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Wait for the logins of every user of locust's `environment`, then `settle` seconds; log the warm-up's
    figures, reset the statistics, let `measure` seconds run and stop the run."""
    started = clock()
    while len(logins) < environment.parsed_options.num_users:
        sleep(POLL)
    sleep(settle)
    warm_up = environment.stats.total
    logging.info(
        "warm-up of %.0f s (logins, then %.0f s more): %d requests, median %.0f ms, p95 %.0f ms; "
        "statistics reset, the steady state measured for %.0f s",
        clock() - started,
        settle,
        warm_up.num_requests,
        warm_up.median_response_time,
        warm_up.get_response_time_percentile(0.95),
        measure,
    )
    environment.stats.reset_all()
    sleep(measure)
    environment.runner.quit()
