"""Reads about the outbox, and the navigation bar's count of one user's unread messages."""

from __future__ import annotations

import functools

from django.db import connections, router
from django.db.models import Count

from notifications.models import Delivery, Notification


def unread_count(user_id: int) -> int:
    """The navigation bar's unread count, on every page: one COUNT over the partial index
    notifications_unread_idx. Its SQL is written once, not compiled by the ORM on each request, which
    cost more than PostgreSQL's answer (0.25 ms of 0.41; issue #19). Routed as the ORM would route it."""
    alias = router.db_for_read(Notification)
    with connections[alias].cursor() as cursor:
        cursor.execute(_unread_sql(alias), [user_id])
        return cursor.fetchone()[0]


@functools.cache
def _unread_sql(alias: str) -> str:
    quote, field = connections[alias].ops.quote_name, Notification._meta.get_field
    return (
        f"SELECT COUNT(*) FROM {quote(Notification._meta.db_table)}"
        f" WHERE {quote(field('recipient').column)} = %s AND {quote(field('read_at').column)} IS NULL"
    )


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
