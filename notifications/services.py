"""Sending: messages are stored with their deliveries in the caller's transaction; the worker sends.

Nothing here talks to a mail server, a webhook or an SMS gateway inside a request: deliveries go out
from `notifications.tasks.deliver` after the transaction commits, and `retry_deliveries` (beat, every
minute) sends whatever is still pending, so a broker that was down only delays them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from aftersales.texts import Lines, Text, as_json, record
from customers.models import Customer
from notifications.models import (
    Channel,
    ChannelPreference,
    Delivery,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from notifications.tasks import deliver, deliver_webhooks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One message to a user (`recipient`) or to a customer's phone (`customer` + `phone`)."""

    kind: str
    subject: str | Text
    body: str | Text | Lines = ""
    link: str = ""
    key: str = ""
    recipient: User | None = None
    customer: Customer | None = None
    phone: str = ""
    forget_link: bool = False
    work_key: str = ""
    secret: str = ""

    def identity(self) -> tuple:
        addressee = ("user", self.recipient.pk) if self.recipient else ("customer", self.customer.pk)
        return (*addressee, self.key or id(self))


def _user_channels(users: list[User]) -> dict[int, list[str]]:
    """The outside channels of each user: their choice, or e-mail when they have an address (one query)."""
    chosen = {
        preference.user_id: preference.channels()
        for preference in ChannelPreference.objects.filter(user__in=[user.pk for user in users])
    }
    return {user.pk: chosen.get(user.pk, [Channel.EMAIL] if user.email else []) for user in users}


def _customer_channels(notification: Notification) -> list[str]:
    """SMS; and, while the WeChat channel is on, a template message to a customer who follows the account
    when the message links into their channel (a sign-in code goes by SMS only)."""
    if (
        settings.WECHAT_BACKEND
        and notification.customer.wechat_openid
        and notification.link
        and not notification.secret
    ):
        return [Channel.SMS, Channel.WECHAT]
    return [Channel.SMS]


def _notification(message: Message) -> Notification:
    return Notification(
        recipient=message.recipient,
        customer=message.customer,
        phone=message.phone,
        kind=message.kind,
        subject=record(message.subject)[:200],
        subject_message=as_json(message.subject),
        body=record(message.body),
        body_message=as_json(message.body),
        link=message.link,
        forget_link=message.forget_link,
        secret=message.secret,
        key=message.key,
        work_key=message.work_key,
    )


def _create_once(message: Message) -> Notification | None:
    """Store a keyed message unless it was stored before (also by a concurrent transaction)."""
    try:
        with transaction.atomic():
            notification = _notification(message)
            notification.save()
            return notification
    except IntegrityError:
        return None


def send_messages(messages: Iterable[Message]) -> list[Notification]:
    """Store the messages not stored before (by key) and queue their deliveries; return the new ones.

    One INSERT for all messages in the usual case, so a sweep that alerts ten thousand deadlines
    stays a handful of queries; if some keys were used before, the messages are stored one by one
    and those are skipped.
    """
    unique = {}
    for message in messages:
        if message.recipient is not None and not message.recipient.is_active:
            continue
        unique.setdefault(message.identity(), message)
    if not unique:
        return []
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(_notification(m) for m in unique.values())
    except IntegrityError:
        created = [n for n in map(_create_once, unique.values()) if n is not None]
    channels = _user_channels([n.recipient for n in created if n.recipient_id])
    deliveries = Delivery.objects.bulk_create(
        Delivery(notification=notification, channel=channel)
        for notification in created
        for channel in (
            channels[notification.recipient_id]
            if notification.recipient_id
            else _customer_channels(notification)
        )
    )
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: queue_deliveries(ids))
    return created


def notify(
    recipients: Iterable[User | None],
    *,
    kind: str,
    subject: str | Text,
    body: str | Text | Lines = "",
    link: str = "",
    key: str = "",
    work_key: str = "",
) -> list[Notification]:
    """Put a message in each recipient's inbox and queue its deliveries; return the new ones.

    A `subject` or `body` made from a rule is a `Text` (aftersales.texts): stored as the Chinese record
    and as its message code, so the inbox shows it in each reader's language.

    With a `key`, a recipient gets the message at most once (a unique constraint, so also across
    concurrent workers); calling again returns nothing new. With a `work_key` the message asks for that
    work item, and shows done once `mark_work_done` is called for it.
    """
    return send_messages(
        Message(recipient=user, kind=kind, subject=subject, body=body, link=link, key=key, work_key=work_key)
        for user in recipients
        if user is not None
    )


def mark_work_done(work_key: str) -> int:
    """The work item was decided (by anyone, or withdrawn): every ask for it is done, and read, so the
    unread count keeps only what still needs its reader. Returns how many asks were open."""
    now = timezone.now()
    return Notification.objects.filter(work_key=work_key, done_at__isnull=True).update(
        done_at=now, read_at=Coalesce("read_at", Value(now))
    )


def used_keys(keys: Iterable[str]) -> set[str]:
    """The keys a message was already stored under (one query), so that a periodic task can skip what it
    handled on an earlier run instead of rebuilding every message only to have it refused."""
    return set(Notification.objects.filter(key__in=list(keys)).values_list("key", flat=True).distinct())


def notify_customer(
    customer: Customer,
    *,
    kind: str,
    text: str | Text,
    key: str = "",
    secret_link: str = "",
    secret: str = "",
    phone: str = "",
) -> Notification | None:
    """An SMS to the customer's first mobile number, or to `phone` (recorded, delivered and retried like
    the others).

    The text goes out in Chinese whoever's action sends it: a `Text` is sent as its Chinese record.

    `secret_link`, a path sent after the text, and `secret` (a one-time code, sent on its own line) are
    credentials: they are erased from the stored message once the SMS has gone or been given up.
    """
    if not phone:
        mobiles = customer.phones.filter(number__regex=r"^1[3-9][0-9]{9}$").order_by("pk")
        phone = mobiles.values_list("number", flat=True).first()
    if not phone:
        return None
    message = Message(
        customer=customer,
        phone=phone,
        kind=kind,
        subject=text,
        link=secret_link,
        secret=secret,
        forget_link=bool(secret_link or secret),
        key=key,
    )
    created = send_messages([message])
    return created[0] if created else None


def queue_deliveries(delivery_ids: list[int]) -> None:
    _hand_to_worker(deliver, delivery_ids)


def _hand_to_worker(task, delivery_ids: list[int]) -> None:
    """Hand the deliveries to the worker; if the broker is unreachable they wait for the retry sweep."""
    try:
        task.apply_async(args=[delivery_ids], retry=False)
    except Exception:  # broker down: never fail the request that caused the message
        logger.warning("Broker unreachable; %d deliveries wait for the retry sweep.", len(delivery_ids))


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's messages read (`notification_id`), or all of them; how many changed. A
    message of someone else is none of theirs: nothing changes (the caller answers 404)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


# --- outbound webhooks (notifications.webhooks says where each event is emitted) ---


def emit_event(event_type: str, payload: Callable[[], Mapping]) -> WebhookEvent | None:
    """Store the event with one delivery per active endpoint subscribed to it, in the caller's
    transaction, and queue the deliveries after the commit; nothing is stored when no endpoint wants it.

    `payload` builds the event's data as JSON values, only when some endpoint wants it (each app's
    webhooks.py builds it with the serializer that also documents it in the OpenAPI schema)."""
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
        if event_type in events
    ]
    if not endpoint_ids:
        return None
    event = WebhookEvent.objects.create(event_id=uuid.uuid4(), type=event_type, payload=dict(payload()))
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint_id=pk) for pk in endpoint_ids
    )
    _queue_webhooks_on_commit([delivery.pk for delivery in deliveries])
    return event


def replay_deliveries(deliveries: Iterable[WebhookDelivery]) -> list[WebhookDelivery]:
    """An administrator sends events again: a new delivery of the same event (same id and payload, signed
    afresh when it goes) to the same endpoint, unless the endpoint was switched off."""
    replays = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event_id=delivery.event_id, endpoint_id=delivery.endpoint_id, replay_of=delivery)
        for delivery in deliveries
        if delivery.endpoint.active
    )
    _queue_webhooks_on_commit([replay.pk for replay in replays])
    return replays


def _queue_webhooks_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: _hand_to_worker(deliver_webhooks, delivery_ids))
