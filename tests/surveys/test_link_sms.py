"""The survey link's SMS goes through the notifications outbox: the agent's request stores a delivery in its
own transaction and sends nothing; the worker sends it once; a failing gateway is retried; and the stored
message forgets the link once it has gone (only the token's digest is kept, DESIGN)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery, Notification
from notifications.tasks import deliver, retry_deliveries
from surveys.models import FollowUpCall
from tests.surveys.factories import RecordingSms, accepted_ticket

pytestmark = pytest.mark.django_db


class FailingSms:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("SMS gateway unreachable")


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms"
    RecordingSms.sent.clear()
    return RecordingSms.sent


@pytest.fixture
def call(supervisor, technician):
    ticket = accepted_ticket(supervisor, technician=technician, phone="13800138000")
    Notification.objects.filter(kind="survey_link").delete()  # the link acceptance texted
    return FollowUpCall.objects.filter(ticket=ticket).order_by("due_on").first()


def text_a_new_link(client, dispatcher, call):
    client.force_login(dispatcher)
    response = client.post(reverse("surveys:call_link", args=[call.pk]), {"send_sms": "on"})
    assert response.status_code == 302
    return Delivery.objects.select_related("notification").get(notification__kind="survey_link")


def test_the_request_stores_a_delivery_queued_on_commit_and_sends_nothing(
    client, dispatcher, call, sms, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(deliver, "apply_async", lambda args, **options: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        delivery = text_a_new_link(client, dispatcher, call)
    assert (delivery.channel, delivery.status, delivery.attempts) == ("sms", "pending", 0)
    assert delivery.notification.phone == "13800138000"
    assert delivery.notification.customer == call.ticket.customer
    assert queued == [[delivery.pk]]
    assert sms == []


def test_the_worker_sends_it_once_and_the_texted_link_opens_the_survey(client, dispatcher, call, sms):
    delivery = text_a_new_link(client, dispatcher, call)
    deliver.run([delivery.pk])
    deliver.run([delivery.pk])  # a redelivered task
    retry_deliveries.run()
    [(phone, text)] = sms
    assert phone == "13800138000" and call.ticket.number in text
    url = text.splitlines()[-1]
    assert url.startswith(settings.SITE_URL) and "/surveys/s/" in url
    assert 'data-testid="public-survey"' in client.get(urlsplit(url).path).content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    token = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    assert Notification.objects.get(pk=delivery.notification_id).link == ""
    assert not Notification.objects.filter(link__contains=token).exists()


def test_a_failing_gateway_is_retried_until_the_sms_goes(client, dispatcher, call, sms, settings):
    settings.SMS_BACKEND = "tests.surveys.test_link_sms.FailingSms"
    delivery = text_a_new_link(client, dispatcher, call)
    deliver.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "unreachable" in delivery.last_error and delivery.next_attempt_at > timezone.now()
    assert Notification.objects.get(pk=delivery.notification_id).link  # kept for the next attempt
    assert retry_deliveries.run() == 0  # not due yet

    settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert retry_deliveries.run() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    [(phone, text)] = sms
    assert phone == "13800138000" and "/surveys/s/" in text
