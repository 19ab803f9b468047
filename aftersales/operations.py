"""The endpoints machines ask, not people: liveness, readiness and the Prometheus scrape.

No login and no page around them. The probes' answers are one word, whatever the reason: a load balancer
needs ready or not, and an address reachable from outside must not tell anybody which database host or
error sits behind it (the reason goes to the log). /metrics exists only where METRICS_TOKEN or
METRICS_ALLOWED_NETWORKS is set (404 otherwise: an unconfigured install has no such page).
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily

from aftersales import health
from aftersales.metrics import exposition
from notifications.selectors import delivery_backlog


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not get every
    web process restarted by its supervisor."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: this instance can serve — the database answers with every migration applied, the
    broker (Redis) answers and the file storage answers. Each check is bounded (aftersales.health)."""
    ready = health.database_ready() and health.broker_ready() and health.storage_ready()
    return HttpResponse(
        "ready" if ready else "not ready", content_type="text/plain", status=200 if ready else 503
    )


class ScrapeTimeCollector:
    """Values read when Prometheus asks, from the source of truth: Redis' queues, the outbox table."""

    def collect(self):
        lengths = health.queue_lengths()
        broker_up = GaugeMetricFamily("aftersales_broker_up", "1 if the Celery broker answered this scrape.")
        broker_up.add_metric([], 0 if lengths is None else 1)
        yield broker_up
        queued = GaugeMetricFamily(
            "aftersales_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, length in sorted((lengths or {}).items()):
            queued.add_metric([queue], length)
        yield queued
        deliveries = GaugeMetricFamily(
            "aftersales_notification_deliveries",
            "Outbox deliveries waiting to be sent (pending) or given up on (failed), by channel.",
            labels=["status", "channel"],
        )
        for (status, channel), count in sorted(delivery_backlog().items()):
            deliveries.add_metric([status, channel], count)
        yield deliveries


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """Each protection that is configured must pass: the bearer token (401), the client's network (403)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            response = HttpResponse("unauthorized", content_type="text/plain", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    if settings.METRICS_ALLOWED_NETWORKS:
        try:
            client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            client = None
        if client is None or not any(client in network for network in settings.METRICS_ALLOWED_NETWORKS):
            return HttpResponse("forbidden", content_type="text/plain", status=403)
    return None


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        raise Http404
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(exposition(ScrapeTimeCollector()), content_type=CONTENT_TYPE_LATEST)
