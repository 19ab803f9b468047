"""/metrics (issue #20): only for the configured scraper, request latency by view after traffic, the
Celery queue as Redis holds it, the SLA sweep's duration and the outbox backlog."""

from __future__ import annotations

import ipaddress

import pytest
import redis
from django.test import Client

from accounts.models import User
from aftersales.celery import app as celery_app
from notifications.models import Channel, Delivery, Notification
from tests.operations.metrics import samples, value
from tickets.tasks import sla_sweep

TOKEN = "scrape-token-for-tests"
LATENCY = "aftersales_http_request_duration_seconds_count"


@pytest.fixture
def scrape(settings, client):
    settings.METRICS_TOKEN = TOKEN

    def get() -> str:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")  # the text format
        return response.content.decode()

    return get


def test_no_metrics_page_unless_a_token_or_networks_are_configured(db, client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "]
)
def test_the_token_is_required(db, client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert b"aftersales_" not in response.content


def test_allowed_networks_alone_or_with_the_token(db, client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics").status_code == 403  # the test client comes from 127.0.0.1
    settings.METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1"),
    ]
    assert client.get("/metrics").status_code == 200
    settings.METRICS_TOKEN = TOKEN  # both configured: both must hold
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_a_page_requested_shows_in_its_views_latency(db, scrape):
    before = scrape()
    page = Client()
    assert page.get("/login/").status_code == 200
    assert page.get("/login/").status_code == 200
    assert page.get("/tickets/").status_code == 302  # to the login
    assert page.get("/no/such/page/").status_code == 404
    after = scrape()
    login = {"view": "login", "method": "GET", "status": "200"}
    assert value(after, LATENCY, **login) == value(before, LATENCY, **login) + 2
    assert value(after, "aftersales_http_request_duration_seconds_sum", **login) > 0
    tickets = {"view": "tickets:list", "method": "GET", "status": "302"}
    assert value(after, LATENCY, **tickets) == value(before, LATENCY, **tickets) + 1
    unmatched = {"view": "<unmatched>", "method": "GET", "status": "404"}
    assert value(after, LATENCY, **unmatched) == value(before, LATENCY, **unmatched) + 1
    assert "/no/such/page" not in after  # labelled by view, never by the address typed


def test_a_made_up_method_is_one_label(db, scrape):
    before = scrape()
    Client().generic("BREW", "/login/")
    labels = {"view": "login", "method": "other", "status": "405"}
    assert value(scrape(), LATENCY, **labels) == value(before, LATENCY, **labels) + 1


def test_the_queue_length_is_what_redis_holds(db, redis_broker, scrape):
    """Three tasks queued with no worker to take them: the scrape counts them in Redis."""
    before = value(scrape(), "aftersales_celery_queue_length", queue="celery")
    client = redis.Redis.from_url(redis_broker)
    try:
        for _ in range(3):
            celery_app.send_task("tests.operations.not_a_task", queue="celery")
        after = scrape()
        assert value(after, "aftersales_celery_queue_length", queue="celery") == before + 3
        assert value(after, "aftersales_broker_up") == 1
    finally:
        client.lpop("celery", 3)  # the three just queued (LPUSH: the newest on the left)


def test_a_broker_that_is_down_is_reported_not_failed(db, scrape, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    text = scrape()
    assert value(text, "aftersales_broker_up") == 0
    assert not [key for key in samples(text) if key[0] == "aftersales_celery_queue_length"]


def test_the_sla_sweep_records_its_duration(db, scrape):
    before = scrape()
    sla_sweep()
    after = scrape()
    count = "aftersales_sla_sweep_duration_seconds_count"
    assert value(after, count) == value(before, count) + 1
    assert value(after, "aftersales_sla_sweep_duration_seconds_sum") > value(
        before, "aftersales_sla_sweep_duration_seconds_sum"
    )


def test_pending_and_failed_deliveries_by_channel(db, scrape, django_assert_max_num_queries):
    user = User.objects.create(username="metrics-reader")
    outbox = [
        (Channel.EMAIL, Delivery.Status.PENDING),
        (Channel.SMS, Delivery.Status.PENDING),
        (Channel.WECOM, Delivery.Status.FAILED),
        (Channel.WECHAT, Delivery.Status.SENT),
    ]
    for number, (channel, status) in enumerate(outbox):
        notification = Notification.objects.create(recipient=user, kind="test", subject=f"message {number}")
        Delivery.objects.create(notification=notification, channel=channel, status=status)
    with django_assert_max_num_queries(1):  # one grouped count: the backlog, never the sent rows
        text = scrape()
    deliveries = {
        dict(labels)["channel"] + ":" + dict(labels)["status"]: count
        for (name, labels), count in samples(text).items()
        if name == "aftersales_notification_deliveries"
    }
    assert deliveries == {"email:pending": 1, "sms:pending": 1, "wecom:failed": 1}
