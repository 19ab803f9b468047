"""The soak's offline burst (loadtest.outbox), driven through Django's client against the real views: a visit
done offline and sent in one burst, some actions twice with their key, is stored once and completes the
visit; the soak's checks count it, and catch a doubled write."""

from __future__ import annotations

import dataclasses
import random
import uuid

import pytest

from loadtest import checks, outbox
from tests.tickets.factories import TicketFactory
from tickets.models import ServiceReport, ServiceReportPart, State, TicketEvent
from tickets.report_services import check_signature, decode_signature
from tickets.services import apply_transition


class TestChain:
    """Port of outbox.js `remember` / `versionToSend`."""

    def action(self, scope: str, base: str) -> outbox.Action:
        return outbox.Action("x", "/x/", {"version": base}, "transition", "soak:x", scope, base)

    def test_a_version_this_device_produced_is_sent_as_the_newest(self):
        chain = outbox.Chain()
        check_in = self.action("ticket:7", "3")
        chain.remember(check_in, "3", {"ticket:7": 4})
        chain.remember(self.action("report:7:1", ""), "", {"report:7:1": 2, "ticket:7": 5})  # the signature
        # 完成上门服务's page was kept before check-in: it showed version 3.
        assert chain.version_to_send(self.action("ticket:7", "3")) == "5"

    def test_a_version_moved_on_elsewhere_is_sent_as_it_was_shown(self):
        chain = outbox.Chain()
        chain.remember(self.action("ticket:7", "3"), "3", {"ticket:7": 4})
        assert chain.version_to_send(self.action("ticket:7", "9")) == "9"  # a conflict, as it should be
        assert chain.version_to_send(self.action("ticket:8", "3")) == "3"

    def test_a_report_not_started_when_the_page_was_kept(self):
        chain = outbox.Chain()
        step = self.action("report:7:1", "")
        assert chain.version_to_send(step) == ""
        chain.remember(step, "", {"report:7:1": 2})
        assert chain.version_to_send(self.action("report:7:1", "")) == "2"


def test_a_visit_is_queued_in_the_order_the_technician_works():
    actions = outbox.field_visit(ticket_id=7, ticket_version=3, report_scope="report:7:1")
    assert [action.label for action in actions] == [
        "check in",
        "report step 1",
        "report step 2",
        "report step 3",
        "report step 4",
        "report part line",
        "report part line",
        "report step 5",
        "signature",
        "complete visit",
    ]
    assert len({action.key for action in actions}) == len({action.marker for action in actions}) == 10
    # Each marker rides in the column loadtest.checks reads for its kind.
    assert actions[0].marker in actions[0].fields["note"]
    assert actions[5].marker in actions[5].fields["removed_serial"]
    assert (
        actions[8].marker in actions[8].fields["signer_name"] and len(actions[8].fields["signer_name"]) <= 60
    )
    check_signature(decode_signature(actions[8].fields["signature"]))  # enough ink to be a signature


@pytest.fixture
def job(branch_a, technician):
    return TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)


@pytest.fixture
def post(client, technician):
    """The outbox's send through Django's client: (status, JSON answer or None)."""
    client.force_login(technician)
    sent = []

    def send(url: str, data: dict, headers: dict) -> outbox.Answer:
        response = client.post(url, data, headers=headers)
        sent.append((url, data["idempotency_key"]))
        json_answer = response.headers.get("Content-Type", "").startswith("application/json")
        return response.status_code, response.json() if json_answer else None

    send.sent = sent
    return send


def visit(job) -> list[outbox.Action]:
    return outbox.field_visit(ticket_id=job.pk, ticket_version=job.version, report_scope=f"report:{job.pk}:1")


def who(records: list[dict]) -> list[dict]:
    return [{**record, "who": "soak_field_01"} for record in records]


@pytest.mark.django_db
def test_a_burst_with_every_action_sent_twice_stores_each_once_and_completes_the_visit(job, post):
    actions = visit(job)
    records = outbox.send_burst(actions, post, resend=set(range(len(actions))))
    assert len(post.sent) == 20
    assert [record["outcome"] for record in records] == ["accepted"] * 10, records
    assert all(record["resent"] and record["same_answer"] for record in records)
    job.refresh_from_db()
    assert job.state == State.AWAITING_ACCEPTANCE
    report = ServiceReport.objects.get(ticket=job)
    assert report.is_signed and report.visit == 1
    assert ServiceReportPart.objects.filter(report=report).count() == 2
    events = list(TicketEvent.objects.filter(ticket=job).order_by("pk").values_list("action", flat=True))
    assert [events.count(action) for action in ("check_in", "sign_report", "complete_visit")] == [1, 1, 1]
    assert events.index("check_in") < events.index("start_report") < events.index("complete_visit")
    result = checks.check_writes(who(records))
    assert result.ok, result.detail
    assert "report_step 4/0/0" in result.detail and "report_part 2/0/0" in result.detail
    assert "signature 1/0/0" in result.detail and "transition 2/0/0" in result.detail
    assert "no client recorded" not in result.detail  # every marked row is one of the burst's writes


@pytest.mark.django_db
def test_a_paid_job_is_sent_with_its_fee(branch_a, technician, post):
    job = TicketFactory(
        unit__owner__branch=branch_a, dispatched=True, technician=technician, service_category="A"
    )
    actions = outbox.field_visit(
        ticket_id=job.pk, ticket_version=job.version, report_scope=f"report:{job.pk}:1", paid=True
    )
    records = outbox.send_burst(actions, post, resend=set())
    assert [record["outcome"] for record in records] == ["accepted"] * 10, records
    report = ServiceReport.objects.get(ticket=job)
    assert (report.fee, report.payment_method) == (80, "cash")


@pytest.mark.django_db
def test_the_checks_catch_a_part_line_written_twice(job, post):
    """An outbox that sent its resend with a new key (one write per intent broken): two rows."""
    actions = visit(job)
    part = actions[5]
    actions.insert(6, dataclasses.replace(part, key=str(uuid.uuid4())))
    records = outbox.send_burst(actions, post, resend=set())
    assert ServiceReportPart.objects.filter(removed_serial__contains=part.marker).count() == 2
    result = checks.check_writes(who(records))
    assert not result.ok
    assert f"report_part accepted by soak_field_01 found 2× ({part.marker})" in result.detail


@pytest.mark.django_db
def test_a_refused_action_stops_the_burst(job, post, technician):
    """Checked in on another device meanwhile: the check-in is refused and nothing after it is sent."""
    actions = visit(job)
    apply_transition(ticket_id=job.pk, user=technician, name="check_in", expected_version=job.version)
    records = outbox.send_burst(actions, post, resend=set())
    assert [(record["label"], record["outcome"]) for record in records] == [("check in", "refused")]
    assert len(post.sent) == 1 and not ServiceReport.objects.exists()
    assert checks.check_writes(who(records)).ok


def test_resends_are_chosen_at_the_given_rate():
    actions = outbox.field_visit(ticket_id=1, ticket_version=1, report_scope="report:1:1")
    chosen = [len(outbox.choose_resends(actions, random.Random(seed))) for seed in range(200)]
    assert 1.5 < sum(chosen) / len(chosen) < 3.5  # a quarter of ten actions
