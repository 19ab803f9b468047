"""The clocks through the real machinery: Celery workers and beat as separate processes, Redis as the
broker, PostgreSQL shared with this test. Needs both servers (in CI they run; elsewhere these tests
say what is missing and skip)."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.urls import reverse

from accounts.models import Role
from notifications.models import Delivery, Notification, WebhookDelivery, WebhookEndpoint
from notifications.webhooks import new_secret
from tests.celery_workers import (
    BROKER,
    Processes,
    redis_answers,
    reset_producer_pool,
    wait_for,
    wait_for_workers,
)
from tests.customers.factories import UnitFactory
from tests.fake_http import WebhookReceiver, serving, verify
from tests.integration.conftest import breached_ticket
from tickets.models import AlertLevel, RepairTicket, SlaAlert
from tickets.services import CallDetails, apply_transition, log_call

DEAD_BROKER_PORT = 6391

pytestmark = pytest.mark.postgres


def sweeps_done(processes: Processes) -> int:
    """SLA sweeps finished on any worker: each logs one `Task tickets.tasks.sla_sweep[<id>] succeeded`."""
    return sum(
        "tickets.tasks.sla_sweep[" in line and " succeeded " in line for line in processes.logs().splitlines()
    )


def test_beat_and_two_workers_send_a_breach_alert_exactly_once(celery_processes, team, branch_a):
    ticket = breached_ticket(team, branch_a)
    celery_processes.worker("sweeper1")
    celery_processes.worker("sweeper2")
    probe = wait_for_workers(["sweeper1", "sweeper2"], BROKER, celery_processes)
    # Two explicit sweeps at once on the two workers, then beat fires one every second.
    for _ in range(4):
        probe.send_task("tickets.tasks.sla_sweep", queue="alerts")  # a bare app knows no routes
    celery_processes.beat()
    wait_for(
        lambda: SlaAlert.objects.filter(deadline__ticket=ticket, level=AlertLevel.BREACH).exists(),
        seconds=60,
        processes=celery_processes,
        what="the breach alert",
    )
    # The sweep really runs again and again over the breached deadline (beat every second, two workers).
    after_alert = sweeps_done(celery_processes)
    wait_for(
        lambda: sweeps_done(celery_processes) >= after_alert + 6,
        seconds=120,
        processes=celery_processes,
        what="six more sweeps after the alert",
    )
    assert SlaAlert.objects.filter(deadline__ticket=ticket).count() == 1
    breach = Notification.objects.filter(kind="sla", link=reverse("tickets:detail", args=[ticket.pk]))
    assert sorted(breach.values_list("recipient__username", flat=True)) == sorted(
        [team[Role.TECHNICIAN].username, team[Role.SUPERVISOR].username]
    )


@pytest.fixture
def dead_broker_app(monkeypatch):
    """This process's Celery app pointed at a port where no broker listens (as when Redis is down)."""
    from aftersales.celery import app

    reset_producer_pool(app)
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{DEAD_BROKER_PORT}/0")  # wins over conf
    assert app.conf.broker_url.endswith(f":{DEAD_BROKER_PORT}/0")
    yield app
    reset_producer_pool(app)


def test_a_call_logged_while_the_broker_is_down_is_saved_and_its_alert_goes_out_when_it_returns(
    celery_processes, dead_broker_app, team, branch_a, client, shared_database, tmp_path
):
    assert not redis_answers(f"redis://127.0.0.1:{DEAD_BROKER_PORT}/0")
    supervisor = team[Role.SUPERVISOR]
    supervisor.email = "zhang@example.cn"
    supervisor.save()
    unit = UnitFactory(owner__branch=branch_a)
    client.force_login(team[Role.DISPATCHER])
    response = client.post(
        reverse("tickets:intake"),
        {
            "unit": unit.pk,
            "fault_category": "appliance",
            "fault_description": "外机漏水",
            "fault_cause": "quality",
            "channel": "phone",
            "priority": "urgent",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = RepairTicket.objects.get(unit=unit)
    assert client.get(response["Location"]).status_code == 200
    delivery = Delivery.objects.get(notification__recipient=supervisor)
    assert delivery.status == "pending"

    # The broker comes back (here: a Redis started on the port that was dead), with a worker and beat.
    server = subprocess.Popen(
        ["redis-server", "--port", str(DEAD_BROKER_PORT), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: redis_answers(f"redis://127.0.0.1:{DEAD_BROKER_PORT}/0"),
            seconds=20,
            processes=celery_processes,
            what="redis start",
        )
        celery_processes.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{DEAD_BROKER_PORT}/0"
        celery_processes.worker("mailer")
        celery_processes.beat()
        wait_for(
            lambda: Delivery.objects.filter(pk=delivery.pk, status="sent").exists(),
            seconds=120,
            processes=celery_processes,
            what="the delivery after the broker returned",
        )
    finally:
        celery_processes.stop()
        server.terminate()
        server.wait(timeout=10)
    mails = "".join(path.read_text() for path in (tmp_path / "mail").glob("*"))
    assert ticket.number in mails and "zhang@example.cn" in mails


def test_a_dispatch_reaches_a_webhook_receiver_through_the_worker(celery_processes, team, branch_a):
    """Issue #21 item 2 through the real machinery: the dispatch commits, the outbox queues the delivery on
    Redis, a worker process posts it, signed, to a receiver on a real socket."""
    WebhookReceiver.reset()
    with serving(WebhookReceiver) as base_url:
        erp = WebhookEndpoint.objects.create(
            name="ERP", url=f"{base_url}/in", events=["ticket.dispatched"], secret=new_secret()
        )
        celery_processes.env["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "1"
        celery_processes.worker("hooks")
        wait_for_workers(["hooks"], BROKER, celery_processes)
        ticket = log_call(
            user=team[Role.DISPATCHER],
            unit=UnitFactory(owner__branch=branch_a),
            details=CallDetails(fault_category="appliance", fault_description="不制冷"),
        )
        apply_transition(
            ticket_id=ticket.pk,
            user=team[Role.DISPATCHER],
            name="dispatch",
            expected_version=None,
            technician=team[Role.TECHNICIAN],
        )
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="sent").exists(),
            seconds=60,
            processes=celery_processes,
            what="the webhook delivery",
        )
    [request] = WebhookReceiver.received
    assert verify(erp.secret, request["headers"]["X-Aftersales-Signature"], request["body"])
    assert json.loads(request["body"])["data"]["number"] == ticket.number
