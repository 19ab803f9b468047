"""Reads about the outbox that are not about one user's messages."""

from __future__ import annotations

from django.db.models import Count

from notifications.models import Delivery


def delivery_backlog() -> dict[tuple[str, str], int]:
    """{(status, channel): count} of the deliveries waiting (pending) and given up on (failed), for the
    metrics scrape: one grouped count over the two partial indexes (notifications_pending_idx and
    notifications_failed_idx), never over the sent ones, which grow without end."""
    rows = (
        Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED])
        .values_list("status", "channel")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(status, channel): count for status, channel, count in rows}
