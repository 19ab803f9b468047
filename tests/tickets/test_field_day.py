"""The technician's day (issue #14 item 4) and the answers the offline outbox relies on (item 2), through
the Django client: 出发 texts the customer an ETA and shows 在途; travel and on-site time propose the
labour hours; a field action asked for JSON says whether it was stored, refused or in conflict."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, ServiceReport, State, TicketEvent
from tickets.report_services import proposed_labour_hours
from tickets.services import apply_transition

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def job(branch_a, technician):
    return TicketFactory(
        unit__owner__branch=branch_a, unit__owner__name="张伟", dispatched=True, technician=technician
    )


def depart(client, ticket, **data):
    return client.post(
        reverse("tickets:depart", args=[ticket.pk]),
        {"version": ticket.version, "eta_minutes": 45, **data},
        **JSON,
    )


def test_setting_off_texts_the_customer_the_eta_and_shows_on_the_way(client, job, technician, dispatcher):
    client.force_login(technician)
    answer = depart(client, job)
    assert answer.status_code == 200 and answer.json()["ok"] is True
    ticket = RepairTicket.objects.get(pk=job.pk)
    assert ticket.state == State.DISPATCHED and ticket.is_on_the_way
    assert answer.json()["versions"] == {f"ticket:{job.pk}": ticket.version}
    sms = Notification.objects.get(customer=job.customer, kind="eta")
    eta = timezone.localtime(ticket.departed_at + datetime.timedelta(minutes=45))
    assert job.number in sms.subject and f"{eta:%H:%M}" in sms.subject and sms.phone.startswith("139")
    assert TicketEvent.objects.filter(ticket=job, action="depart").count() == 1

    page = client.get(reverse("tickets:my_jobs")).content.decode()
    assert f'data-testid="on-the-way-{job.number}"' in page and "uri.amap.com/search?keyword=" in page
    client.force_login(dispatcher)
    board = client.get(reverse("tickets:dispatch_board")).content.decode()
    assert "在途 · " + job.number in board


def test_the_board_shows_who_is_on_the_way_until_they_check_in(client, job, technician, dispatcher):
    """The board reads the journeys from the technicians' open jobs (no query of its own): the number and
    the local time of setting off, gone once the technician has checked in."""
    client.force_login(technician)
    depart(client, job)
    departed = timezone.localtime(RepairTicket.objects.get(pk=job.pk).departed_at)
    client.force_login(dispatcher)
    board = client.get(reverse("tickets:dispatch_board")).content.decode()
    assert f"在途 · {job.number} · {departed:%H:%M} 出发" in board
    RepairTicket.objects.filter(pk=job.pk).update(state=State.ON_SITE, arrived_at=timezone.now())
    assert "在途 · " not in client.get(reverse("tickets:dispatch_board")).content.decode()


def test_setting_off_is_refused_after_check_in_and_for_another_technician(client, job, persona):
    other = persona("technician", username="other_tech")
    client.force_login(other)
    assert depart(client, job).status_code == 404  # not their job: not even shown to exist
    RepairTicket.objects.filter(pk=job.pk).update(state=State.ON_SITE)
    job.refresh_from_db()
    client.force_login(job.technician)
    answer = depart(client, job)
    assert answer.status_code == 409 and answer.json()["conflict"] is True
    assert "只有已派工、尚未签到的工单可以出发" in answer.json()["message"]
    assert not Notification.objects.filter(kind="eta").exists()


def test_travel_and_on_site_time_propose_the_labour_hours(client, job, technician):
    client.force_login(technician)
    depart(client, job)
    departed = RepairTicket.objects.get(pk=job.pk).departed_at
    RepairTicket.objects.filter(pk=job.pk).update(
        state=State.ON_SITE, visit_count=1, arrived_at=departed + datetime.timedelta(minutes=35)
    )
    ticket = RepairTicket.objects.get(pk=job.pk)
    assert ticket.travel_time == datetime.timedelta(minutes=35)
    RepairTicket.objects.filter(pk=job.pk).update(arrived_at=timezone.now() - datetime.timedelta(minutes=80))
    page = client.get(reverse("tickets:report", args=[job.pk]) + "?step=4").content.decode()
    assert 'name="labour_hours" value="1.50"' in page or 'value="1.5"' in page
    assert "现场已 1 小时 20 分" in page
    assert proposed_labour_hours(datetime.timedelta(minutes=1)) == Decimal("0.25")
    assert proposed_labour_hours(datetime.timedelta(minutes=61)) == Decimal("1.25")


def test_a_stale_step_asked_for_json_is_a_conflict_with_the_servers_values(client, job, technician):
    RepairTicket.objects.filter(pk=job.pk).update(state=State.ON_SITE, visit_count=1)
    client.force_login(technician)
    url = reverse("tickets:report_step", args=[job.pk, 2])
    first = client.post(
        reverse("tickets:report_step", args=[job.pk, 1]),
        {"idempotency_key": str(uuid.uuid4()), "version": "", "customer_account": "停机"},
        **JSON,
    ).json()
    version = first["versions"][f"report:{job.pk}:1"]
    client.post(
        url,
        {
            "idempotency_key": str(uuid.uuid4()),
            "version": version,
            "usage_reading": "手机上填的",
            "previously_disassembled": "false",
        },
        **JSON,
    )
    stale = client.post(
        url,
        {
            "idempotency_key": str(uuid.uuid4()),
            "version": version,
            "usage_reading": "平板上填的",
            "previously_disassembled": "false",
        },
        **JSON,
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["ok"] is False and body["conflict"] is True
    assert body["server"]["运行时间/里程/工作小时"] == "手机上填的"
    assert body["versions"] == {f"report:{job.pk}:1": version + 1}
    assert ServiceReport.objects.get(ticket=job).usage_reading == "手机上填的"
    # Without JavaScript the same refusal is still a message and a redirect.
    html = client.post(
        url,
        {
            "idempotency_key": str(uuid.uuid4()),
            "version": version,
            "usage_reading": "x",
            "previously_disassembled": "false",
        },
    )
    assert html.status_code == 302


def test_a_refused_step_asked_for_json_names_the_field(client, job, technician):
    RepairTicket.objects.filter(pk=job.pk).update(state=State.ON_SITE, visit_count=1)
    client.force_login(technician)
    answer = client.post(
        reverse("tickets:report_step", args=[job.pk, 1]),
        {"idempotency_key": str(uuid.uuid4()), "version": "", "customer_account": ""},
        **JSON,
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"客户反映": "请填写客户反映的情况。"}


def test_a_reassigned_job_is_no_longer_on_the_way(client, job, technician, dispatcher, persona):
    client.force_login(technician)
    depart(client, job)
    other = persona("technician", username="second_tech")
    ticket = RepairTicket.objects.get(pk=job.pk)
    apply_transition(
        ticket_id=job.pk, user=dispatcher, name="dispatch", expected_version=ticket.version, technician=other
    )
    assert not RepairTicket.objects.get(pk=job.pk).is_on_the_way
