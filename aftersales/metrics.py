"""Prometheus instruments the app records into, and the text a scrape of `/metrics` returns.

Several processes serve the app (gunicorn's workers, Celery's pool): with PROMETHEUS_MULTIPROC_DIR set
(scripts/run.sh, docker-compose.yml), prometheus-client keeps each process's values in files in that
folder and a scrape adds them up, so any web worker answers for all of them — and for the Celery worker
too when it shares the folder (the SLA sweep's duration is recorded there). The folder is emptied before
the processes start, never while they run. Without it (runserver, tests) a scrape sees its own process.
"""

from __future__ import annotations

import os
import time

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.registry import Collector

REQUEST_DURATION = Histogram(
    "aftersales_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view (URL name), method and status.",
    ["view", "method", "status"],
)
SLA_SWEEP_DURATION = Histogram(
    "aftersales_sla_sweep_duration_seconds",
    "Duration of one SLA sweep (tickets.tasks.sla_sweep): warnings, breaches and escalations.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

# A method label from a fixed set: a client can send any word as the method, and each new label value
# would be a new series kept forever.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests no URL pattern matched (a 404 for an unknown address, static files served by WhiteNoise):
# labelled as one, never by their path, which would make a series per address anybody types.
UNMATCHED_VIEW = "<unmatched>"


class RequestMetricsMiddleware:
    """Early in MIDDLEWARE: times everything after it, labelled by the resolved view's name. A streamed
    response (a large export) is timed until its first byte is ready, not until the last is sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        REQUEST_DURATION.labels(
            view=match.view_name if match and match.view_name else UNMATCHED_VIEW,
            method=request.method if request.method in _METHODS else "other",
            status=str(response.status_code),
        ).observe(time.perf_counter() - started)
        return response


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition(*scrape_time: Collector) -> bytes:
    """The text format of every instrument (of all processes, in multiprocess mode) followed by the
    values `scrape_time` collectors compute now (queue lengths, deliveries waiting)."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
        recorded = b""
    else:
        recorded = generate_latest(REGISTRY)
    for collector in scrape_time:
        registry.register(collector)
    return recorded + generate_latest(registry)
