"""Delivery tasks. Each delivery row is locked while it is sent, so two workers never send it twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notifications import webhooks
from notifications.channels import SENDERS
from notifications.models import Delivery, Notification, WebhookDelivery

MAX_ATTEMPTS = 6


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8, 16 minutes between attempts."""
    return datetime.timedelta(minutes=2 ** (attempts - 1))


def _record_attempt(delivery: Delivery | WebhookDelivery, error: str) -> None:
    """Count an attempt: sent when there was no error, else retried after the back-off, or given up after
    MAX_ATTEMPTS. The caller saves the row."""
    delivery.attempts += 1
    if error:
        delivery.last_error = error[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = delivery.Status.FAILED
        else:
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    else:
        delivery.status = delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""


def send_one(delivery_id: int) -> None:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient", "notification__customer")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:  # sent already, or another worker holds it
            return
        try:
            SENDERS[delivery.channel](delivery.notification)
        except Exception as exc:  # any failure of the channel is recorded and retried
            _record_attempt(delivery, str(exc) or type(exc).__name__)
        else:
            _record_attempt(delivery, "")
        delivery.save()
        notification = delivery.notification
        if (
            notification.forget_link
            and delivery.status != Delivery.Status.PENDING
            and not notification.deliveries.filter(status=Delivery.Status.PENDING).exists()
        ):
            Notification.objects.filter(pk=notification.pk).update(link="", secret="")


def send_webhook(delivery_id: int) -> None:
    """Post one webhook delivery (locked while it is sent) and keep the receiver's answer; anything but
    a 2xx answer is retried like the other channels."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:  # sent already, or another worker holds it
            return
        if not delivery.endpoint.active:  # switched off since: given up (a replay can send it later)
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "endpoint switched off"
            delivery.save(update_fields=["status", "last_error"])
            return
        try:
            answer = webhooks.post(delivery)
        except webhooks.WebhookError as exc:
            delivery.response_status = delivery.duration_ms = None
            delivery.response_body = ""
            _record_attempt(delivery, str(exc))
        else:
            delivery.response_status = answer.status
            delivery.response_body = answer.body
            delivery.duration_ms = answer.duration_ms
            _record_attempt(delivery, "" if 200 <= answer.status < 300 else f"HTTP {answer.status}")
        delivery.save()


@shared_task
def deliver_webhooks(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        send_webhook(delivery_id)


@shared_task
def deliver(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        send_one(delivery_id)


@shared_task
def retry_deliveries() -> int:
    """Beat, every minute: send what is pending and due (queued while the broker was down, or failed),
    messages and webhooks alike."""
    sent = 0
    for model, send in ((Delivery, send_one), (WebhookDelivery, send_webhook)):
        due = list(
            model.objects.filter(status="pending", next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:500]
        )
        for delivery_id in due:
            send(delivery_id)
        sent += len(due)
    return sent
