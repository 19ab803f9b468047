"""The clocks through the real machinery: Celery workers and beat as separate processes, Redis as the
broker, PostgreSQL shared with this test. Needs both servers (in CI they run; elsewhere these tests
say what is missing and skip)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.urls import reverse
from kombu import pools

from accounts.models import Role
from notifications.models import Delivery, Notification, WebhookDelivery, WebhookEndpoint
from notifications.webhooks import new_secret
from tests.conftest import require
from tests.customers.factories import UnitFactory
from tests.fake_http import WebhookReceiver, serving, verify
from tickets.models import AlertLevel, RepairTicket, SlaAlert, TicketDeadline
from tickets.services import CallDetails, apply_transition, log_call

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
BROKER = "redis://127.0.0.1:6379/15"  # a database of its own, flushed around each test
DEAD_BROKER_PORT = 6391

pytestmark = pytest.mark.postgres


def redis_answers(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def shared_database(reference_data):
    require(connection.vendor == "postgresql", "PostgreSQL: set DATABASE_URL=postgres://…")
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


class Processes:
    """Celery processes started for one test, stopped (and reaped) at its end."""

    def __init__(self, env: dict[str, str], tmp_path: Path):
        self.env, self.tmp_path, self.running = env, tmp_path, []

    def start(self, *args: str, name: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [CELERY, "-A", "aftersales", *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append((process, log))
        return process

    def worker(self, name: str) -> None:
        self.start(
            "worker",
            "-l",
            "info",
            "-c",
            "1",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            name=name,
        )

    def beat(self) -> None:
        self.start("beat", "-l", "info", "-s", str(self.tmp_path / "beat-schedule"), name="beat")

    def stop(self) -> None:
        for process, _log in self.running:
            process.send_signal(signal.SIGTERM)
        for process, log in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self.running = []

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(self.tmp_path.glob("*.log")))


def environment(database_url: str, broker: str, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": "celery-tests",
        "SLA_SWEEP_SECONDS": "1",
        "DELIVERY_RETRY_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "AFTERSALES_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


@pytest.fixture
def celery_processes(shared_database, tmp_path, monkeypatch):
    require(redis_answers(BROKER), "Redis on 127.0.0.1:6379")
    import redis

    # Celery reads CELERY_BROKER_URL from the environment before any configuration (CI sets it), so
    # this process's apps talk to the test's broker only if the variable says so.
    monkeypatch.setenv("CELERY_BROKER_URL", BROKER)

    redis.Redis.from_url(BROKER).flushdb()
    processes = Processes(environment(shared_database, BROKER, tmp_path), tmp_path)
    yield processes
    processes.stop()
    redis.Redis.from_url(BROKER).flushdb()


def wait_for(condition, *, seconds: float, processes: Processes, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what} did not happen within {seconds} s\n{processes.logs()}")


def sweeps_done(processes: Processes) -> int:
    """SLA sweeps finished on any worker: each logs one `Task tickets.tasks.sla_sweep[<id>] succeeded`."""
    return sum(
        "tickets.tasks.sla_sweep[" in line and " succeeded " in line for line in processes.logs().splitlines()
    )


def wait_for_workers(names: list[str], broker: str, processes: Processes) -> Celery:
    app = Celery("probe", broker=broker)
    wait_for(
        lambda: (
            {name for reply in app.control.ping(timeout=0.5) for name in reply}
            >= {f"{n}@{os.uname().nodename}" for n in names}
        ),
        seconds=180,  # a busy 2-core machine takes a while to boot two workers
        processes=processes,
        what=f"workers {names} answering",
    )
    return app


@pytest.fixture
def team(persona, branch_a):
    return {role: persona(role) for role in (Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR)}


def breached_ticket(team, branch) -> RepairTicket:
    unit = UnitFactory(
        owner__branch=branch,
        owner__distance_km=10,
        product_model__name="城市客车",
        product_model__category="body",
    )
    ticket = log_call(
        user=team[Role.DISPATCHER],
        unit=unit,
        details=CallDetails(fault_category="body", fault_description="车门关不上"),
    )
    apply_transition(
        ticket_id=ticket.pk,
        user=team[Role.DISPATCHER],
        name="dispatch",
        expected_version=None,
        technician=team[Role.TECHNICIAN],
    )
    arrival = TicketDeadline.objects.get(ticket=ticket, milestone="arrival")
    past = arrival.due_at - timedelta(hours=30)
    TicketDeadline.objects.filter(pk=arrival.pk).update(
        warn_at=past - timedelta(hours=5), due_at=past, escalate_at=past + timedelta(days=30)
    )
    return ticket


def test_beat_and_two_workers_send_a_breach_alert_exactly_once(celery_processes, team, branch_a):
    ticket = breached_ticket(team, branch_a)
    celery_processes.worker("sweeper1")
    celery_processes.worker("sweeper2")
    probe = wait_for_workers(["sweeper1", "sweeper2"], BROKER, celery_processes)
    # Two explicit sweeps at once on the two workers, then beat fires one every second.
    for _ in range(4):
        probe.send_task("tickets.tasks.sla_sweep")
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

    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{DEAD_BROKER_PORT}/0")  # wins over conf
    assert app.conf.broker_url.endswith(f":{DEAD_BROKER_PORT}/0")
    yield app
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps connection pools per broker URL for the whole process: the test broker's pool was closed
    # above, and a later test's probe app would be handed it ("Acquire on closed pool").
    pools.reset()


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
