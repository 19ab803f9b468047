"""Delivery tasks. Each delivery row is locked while it is sent, so two workers never send it twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notifications.channels import SENDERS
from notifications.models import Delivery, Notification

MAX_ATTEMPTS = 6


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8, 16 minutes between attempts."""
    return datetime.timedelta(minutes=2 ** (attempts - 1))


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
        delivery.attempts += 1
        try:
            SENDERS[delivery.channel](delivery.notification)
        except Exception as exc:  # any failure of the channel is recorded and retried
            delivery.last_error = str(exc)[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
            else:
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        else:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save()
        notification = delivery.notification
        if (
            notification.forget_link
            and delivery.status != Delivery.Status.PENDING
            and not notification.deliveries.filter(status=Delivery.Status.PENDING).exists()
        ):
            Notification.objects.filter(pk=notification.pk).update(link="", secret="")


@shared_task
def deliver(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        send_one(delivery_id)


@shared_task
def retry_deliveries() -> int:
    """Beat, every minute: send what is pending and due (queued while the broker was down, or failed)."""
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    for delivery_id in due:
        send_one(delivery_id)
    return len(due)
