"""Sending: `notify` stores the message and its deliveries in the caller's transaction; the worker sends.

Nothing here talks to a mail server or a webhook inside a request: deliveries go out from the
`notifications.tasks.deliver` task after the transaction commits, and `retry_deliveries` (beat)
picks up whatever is still pending, so a broker that was down only delays them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from accounts.models import User
from notifications.models import ChannelPreference, Delivery, Notification

logger = logging.getLogger(__name__)


def channels_for(user: User) -> list[str]:
    """The outside channels of a user: their choice, or e-mail when they have an address."""
    try:
        return user.channel_preference.channels()
    except ChannelPreference.DoesNotExist:
        return ["email"] if user.email else []


def notify(
    recipients: Iterable[User | None],
    *,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    key: str = "",
) -> list[Notification]:
    """Put a message in each recipient's inbox and queue its deliveries; return the new ones.

    With a `key`, a recipient gets the message at most once (a unique constraint, so also across
    concurrent workers); calling again returns nothing new.
    """
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    created: list[Notification] = []
    for user in unique.values():
        fields = {"kind": kind, "subject": subject[:200], "body": body, "link": link}
        if key:
            notification, is_new = Notification.objects.get_or_create(recipient=user, key=key, defaults=fields)
        else:
            notification, is_new = Notification.objects.create(recipient=user, **fields), True
        if is_new:
            created.append(notification)
    deliveries = Delivery.objects.bulk_create(
        Delivery(notification=notification, channel=channel)
        for notification in created
        for channel in channels_for(notification.recipient)
    )
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: queue_deliveries(ids))
    return created


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Hand the deliveries to the worker; if the broker is unreachable they wait for the retry sweep."""
    from notifications.tasks import deliver

    try:
        deliver.apply_async(args=[delivery_ids], retry=False)
    except Exception:  # broker down: never fail the request that caused the message
        logger.warning("Broker unreachable; %d deliveries wait for the retry sweep.", len(delivery_ids))
