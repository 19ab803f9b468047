"""Outbound webhooks (issue #21 item 2), through the real stack: a ticket dispatched from its page is posted,
signed, to a local receiver (a real socket); a receiver that answers 500 gets the event again after the
back-off; an administrator replays a delivery from the admin; inactive endpoints and unsubscribed events
get nothing; the receiver's answers are listed; addresses and schemes are checked."""

from __future__ import annotations

import datetime
import json
import ssl
import time
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import webhooks
from notifications.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from notifications.services import emit_event
from notifications.tasks import MAX_ATTEMPTS, retry_deliveries
from tests.fake_http import WebhookReceiver as Receiver
from tests.fake_http import serving, verify
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    Receiver.reset()
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    with serving(Receiver) as base_url:
        Receiver.url = f"{base_url}/hooks/aftersales?source=test"
        yield Receiver


def endpoint(url: str, events=(EventType.TICKET_DISPATCHED,), *, active: bool = True, name: str = "ERP"):
    return WebhookEndpoint.objects.create(
        name=name, url=url, events=list(events), active=active, secret=webhooks.new_secret()
    )


def dispatch_from_the_page(client, dispatcher, technician, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    response = client.post(
        reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
        {"version": ticket.version, "technician": technician.pk, "note": ""},
        follow=True,
    )
    assert "“派工”已完成" in response.content.decode()
    return ticket


class TestDelivery:
    def test_a_dispatch_from_the_page_reaches_the_receiver_signed(
        self, client, dispatcher, technician, branch_a, receiver
    ):
        erp = endpoint(receiver.url)
        ticket = dispatch_from_the_page(client, dispatcher, technician, branch_a)
        retry_deliveries.run()  # the outbox's sweep (the worker's task runs the same code)

        [request] = receiver.received
        headers, body = request["headers"], request["body"]
        assert request["path"] == "/hooks/aftersales?source=test"
        assert headers["Content-Type"] == "application/json"
        assert verify(erp.secret, headers["X-Aftersales-Signature"], body)
        assert not verify("whsec_someone-else", headers["X-Aftersales-Signature"], body)
        assert not verify(erp.secret, headers["X-Aftersales-Signature"], body.replace(b"SH", b"BJ"))
        envelope = json.loads(body)
        event = WebhookEvent.objects.get()
        assert envelope["id"] == headers["X-Aftersales-Event-Id"] == str(event.event_id)
        assert envelope["type"] == headers["X-Aftersales-Event"] == "ticket.dispatched"
        data = envelope["data"]
        assert (data["id"], data["number"], data["state"]) == (ticket.pk, ticket.number, "dispatched")
        assert (data["technician"], data["technician_name"]) == (technician.pk, str(technician))
        assert data["transition"] == "dispatch" and data["url"].endswith(f"/tickets/{ticket.pk}/")

        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 200)
        assert delivery.response_body == "ok" and delivery.duration_ms is not None
        retry_deliveries.run()
        assert len(receiver.received) == 1  # sent once

    def test_the_event_is_stored_in_the_transaction_of_the_change(
        self, client, dispatcher, technician, branch_a, receiver
    ):
        """A dispatch refused (a stale version) leaves no event behind."""
        endpoint(receiver.url)
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        client.post(
            reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
            {"version": ticket.version + 5, "technician": technician.pk, "note": ""},
        )
        assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()

    def test_a_500_is_retried_after_the_back_off_then_succeeds(
        self, client, dispatcher, technician, branch_a, receiver
    ):
        erp = endpoint(receiver.url)
        receiver.answers = [(500, "数据库维护中" + "x" * 5000)]
        dispatch_from_the_page(client, dispatcher, technician, branch_a)
        retry_deliveries.run()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
        assert delivery.response_body.startswith("数据库维护中") and len(delivery.response_body) == 2000
        assert delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at > timezone.now()
        retry_deliveries.run()
        assert len(receiver.received) == 1  # not due yet

        with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
            retry_deliveries.run()
            first, second = receiver.received
            assert verify(erp.secret, second["headers"]["X-Aftersales-Signature"], second["body"])
        assert first["body"] == second["body"]
        assert first["headers"]["X-Aftersales-Event-Id"] == second["headers"]["X-Aftersales-Event-Id"]
        assert first["headers"]["X-Aftersales-Signature"] != second["headers"]["X-Aftersales-Signature"]
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 2, 200)
        assert delivery.last_error == ""

    def test_a_receiver_that_never_answers_2xx_is_given_up_after_the_last_attempt(self, receiver):
        endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        receiver.answers = [(503, "down")] * MAX_ATTEMPTS
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        delivery = WebhookDelivery.objects.get()
        for _ in range(MAX_ATTEMPTS):
            with time_machine.travel(WebhookDelivery.objects.get().next_attempt_at):
                retry_deliveries.run()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
        assert len(receiver.received) == MAX_ATTEMPTS

    def test_a_slow_receiver_times_out_and_is_retried(self, settings, receiver):
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
        receiver.delay = 1.5
        endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        started = time.monotonic()
        retry_deliveries.run()
        assert time.monotonic() - started < 1.4
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and "timed out" in delivery.last_error
        assert delivery.response_status is None


class TestWhoGetsWhat:
    def test_an_inactive_endpoint_and_an_unsubscribed_event_get_nothing(
        self, client, dispatcher, technician, branch_a, receiver
    ):
        endpoint(receiver.url, active=False, name="停用的")
        endpoint(receiver.url, [EventType.TICKET_CLOSED, EventType.CLAIM_APPROVED], name="只要关闭")
        dispatch_from_the_page(client, dispatcher, technician, branch_a)
        retry_deliveries.run()
        assert receiver.received == []
        assert not WebhookEvent.objects.exists()

    def test_switching_an_endpoint_off_gives_up_what_is_pending_for_it(self, receiver):
        erp = endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        erp.active = False
        erp.save()
        retry_deliveries.run()
        delivery = WebhookDelivery.objects.get()
        assert receiver.received == []
        assert (delivery.status, delivery.attempts, delivery.last_error) == (
            "failed",
            0,
            "endpoint switched off",
        )

    def test_each_subscribed_endpoint_gets_its_own_signature(
        self, client, dispatcher, technician, branch_a, receiver
    ):
        first, second = endpoint(receiver.url, name="ERP"), endpoint(receiver.url, name="CRM")
        dispatch_from_the_page(client, dispatcher, technician, branch_a)
        retry_deliveries.run()
        assert WebhookEvent.objects.count() == 1
        signatures = [request["headers"]["X-Aftersales-Signature"] for request in receiver.received]
        bodies = [request["body"] for request in receiver.received]
        assert bodies[0] == bodies[1]
        assert {verify(first.secret, s, bodies[0]) for s in signatures} == {True, False}
        assert {verify(second.secret, s, bodies[0]) for s in signatures} == {True, False}


TLS = Path(__file__).parent / "tls"


class TestAddresses:
    @pytest.fixture
    def tls_receiver(self, settings):
        """The receiver behind TLS, with a self-signed certificate for `localhost` (tests/notifications/tls)."""
        Receiver.reset()
        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS / "localhost-cert.pem", TLS / "localhost-key.pem")
        with serving(Receiver, tls=context) as base_url:
            yield base_url

    def test_https_is_verified_against_the_hosts_name(self, tls_receiver, monkeypatch):
        endpoint(f"{tls_receiver}/in", [EventType.TICKET_ACCEPTED])
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        retry_deliveries.run()
        delivery = WebhookDelivery.objects.get()
        assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error and Receiver.received == []

        # Trusted (as a company CA would be): connected to the checked address, verified as `localhost`.
        monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "localhost-cert.pem"))
        with time_machine.travel(delivery.next_attempt_at):
            retry_deliveries.run()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.response_status) == ("sent", 200)
        [request] = Receiver.received
        assert request["headers"]["Host"].startswith("localhost:")

    def test_a_private_address_is_refused_unless_allowed(self, settings, receiver):
        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
        endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        retry_deliveries.run()
        delivery = WebhookDelivery.objects.get()
        assert receiver.received == []
        assert "127.0.0.1" in delivery.last_error and "not a public address" in delivery.last_error
        assert delivery.status == "pending"  # an administrator may still turn the setting on

    @pytest.mark.parametrize(
        "address,public",
        [
            ("127.0.0.1", False),
            ("10.1.2.3", False),
            ("192.168.0.10", False),
            ("169.254.169.254", False),
            ("::1", False),
            ("fd00::1", False),
            ("0.0.0.0", False),
            ("8.8.8.8", True),
            ("2400:3200::1", True),
        ],
    )
    def test_which_addresses_are_public(self, settings, address, public):
        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
        assert webhooks._allowed(address) is public


class TestAdmin:
    @pytest.fixture
    def admin_client(self, django_user_model):
        client = Client()
        client.force_login(django_user_model.objects.create_superuser("root", "root@example.cn", "pw-1"))
        return client

    def test_an_administrator_registers_an_endpoint_and_sees_its_secret(self, admin_client):
        response = admin_client.post(
            reverse("admin:notifications_webhookendpoint_add"),
            {
                "name": "金蝶 ERP",
                "url": "https://erp.example.cn/aftersales",
                "events": [EventType.TICKET_CLOSED, EventType.PART_ISSUED],
                "active": "on",
            },
        )
        assert response.status_code == 302
        erp = WebhookEndpoint.objects.get()
        assert erp.secret.startswith("whsec_") and len(erp.secret) > 40
        assert erp.events == ["ticket.closed", "part.issued"]
        page = admin_client.get(reverse("admin:notifications_webhookendpoint_change", args=[erp.pk]))
        assert erp.secret in page.content.decode()
        listing = admin_client.get(reverse("admin:notifications_webhookendpoint_changelist")).content.decode()
        assert "工单已回访关闭" in listing and "配件已发放" in listing

    @pytest.mark.parametrize("url", ["ftp://erp.example.cn/in", "file:///etc/passwd", "gopher://x.cn/"])
    def test_only_http_and_https_are_accepted(self, admin_client, url):
        response = admin_client.post(
            reverse("admin:notifications_webhookendpoint_add"),
            {"name": "x", "url": url, "events": [EventType.TICKET_CLOSED], "active": "on"},
        )
        assert response.status_code == 200 and not WebhookEndpoint.objects.exists()

    def test_a_replay_sends_the_same_event_freshly_signed(
        self, admin_client, client, dispatcher, technician, branch_a, receiver
    ):
        erp = endpoint(receiver.url)
        dispatch_from_the_page(client, dispatcher, technician, branch_a)
        retry_deliveries.run()
        original = WebhookDelivery.objects.get()

        listing = admin_client.get(reverse("admin:notifications_webhookdelivery_changelist")).content.decode()
        assert "工单已派工" in listing and str(original.event.event_id) in listing
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
            response = admin_client.post(
                reverse("admin:notifications_webhookdelivery_changelist"),
                {"action": "replay", "_selected_action": [original.pk]},
                follow=True,
            )
            assert "已重新发送 1 条" in response.content.decode()
            retry_deliveries.run()
            first, replayed = receiver.received
            assert verify(erp.secret, replayed["headers"]["X-Aftersales-Signature"], replayed["body"])
        assert replayed["body"] == first["body"]
        assert replayed["headers"]["X-Aftersales-Event-Id"] == first["headers"]["X-Aftersales-Event-Id"]
        assert replayed["headers"]["X-Aftersales-Signature"] != first["headers"]["X-Aftersales-Signature"]
        replay = WebhookDelivery.objects.exclude(pk=original.pk).get()
        assert (replay.replay_of, replay.status, replay.response_status) == (original, "sent", 200)

    def test_no_replay_to_an_endpoint_switched_off(self, admin_client, receiver):
        erp = endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        erp.active = False
        erp.save()
        response = admin_client.post(
            reverse("admin:notifications_webhookdelivery_changelist"),
            {
                "action": "replay",
                "_selected_action": list(WebhookDelivery.objects.values_list("pk", flat=True)),
            },
            follow=True,
        )
        assert "1 条的接收端已停用" in response.content.decode()
        assert WebhookDelivery.objects.count() == 1

    def test_a_staff_member_who_may_only_look_cannot_replay(self, receiver, django_user_model):
        endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        viewer = django_user_model.objects.create_user("viewer", password="pw-1", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
        client = Client()
        client.force_login(viewer)
        url = reverse("admin:notifications_webhookdelivery_changelist")
        assert client.get(url).status_code == 200
        client.post(url, {"action": "replay", "_selected_action": [WebhookDelivery.objects.get().pk]})
        assert WebhookDelivery.objects.count() == 1

    def test_deliveries_list_in_a_constant_number_of_queries(
        self, admin_client, receiver, django_assert_max_num_queries
    ):
        endpoint(receiver.url, [EventType.TICKET_ACCEPTED])
        url = reverse("admin:notifications_webhookdelivery_changelist")
        emit_event(EventType.TICKET_ACCEPTED, lambda: {"id": 1})
        with django_assert_max_num_queries(12) as few:
            admin_client.get(url)
        for n in range(20):
            emit_event(EventType.TICKET_ACCEPTED, lambda n=n: {"id": n})
        with django_assert_max_num_queries(len(few.captured_queries)):
            admin_client.get(url)


def test_a_change_no_endpoint_wants_costs_one_query(django_assert_num_queries):
    def payload():
        raise AssertionError("built although nobody subscribed")

    with django_assert_num_queries(1):
        assert emit_event(EventType.TICKET_LOGGED, payload) is None


def test_the_openapi_schema_documents_every_event_as_a_callback(client, dispatcher):
    client.force_login(dispatcher)
    schema = json.loads(client.get(reverse("api-schema"), {"format": "json"}).content)
    callbacks = {
        name: callback
        for path in schema["paths"].values()
        for operation in path.values()
        for name, callback in operation.get("callbacks", {}).items()
    }
    assert set(callbacks) == set(EventType.values)
    [dispatched] = callbacks["ticket.dispatched"].values()
    body = dispatched["post"]["requestBody"]["content"]["application/json"]["schema"]
    envelope = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(envelope["required"]) == {"id", "type", "created_at", "data"}
    event_type = schema["components"]["schemas"][envelope["properties"]["type"]["$ref"].rsplit("/", 1)[1]]
    assert event_type["enum"] == ["ticket.dispatched"]
    assert "X-Aftersales-Signature" in dispatched["post"]["description"]
    ticket = schema["components"]["schemas"]["TicketPayload"]
    assert {"number", "state", "technician", "transition", "url"} <= set(ticket["required"])
    assert not any(field.get("readOnly") for field in ticket["properties"].values())
    for name in ("ClaimPayload", "PartIssuedPayload", "SurveyPayload"):
        assert schema["components"]["schemas"][name]["required"]
