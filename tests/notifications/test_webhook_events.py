"""Each webhook event is emitted by the write path of its change, with the payload its schema documents:
ticket logged, dispatched, completed, accepted and closed; claim approved; parts issued; survey answered.
What leaves is checked against the OpenAPI schema's component for the event."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from claims.services import decide_claim, submit_claim
from notifications import webhooks
from notifications.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from parts import ledger
from parts.models import MovementKind
from parts.services import decide_requisition, issue_requisition, submit_requisition
from surveys.services import answer_in_channel
from tests.claims.test_claims import sh_rule
from tests.customers.factories import UnitFactory
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.surveys.factories import ALL_SATISFIED, accepted_ticket
from tests.tickets.factories import TicketFactory
from tickets.services import CallDetails, apply_transition, log_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(db):
    """An endpoint subscribed to every event (nothing is sent in these tests: the rows are checked)."""
    return WebhookEndpoint.objects.create(
        name="ERP",
        url="https://erp.example.cn/in",
        events=list(EventType.values),
        secret=webhooks.new_secret(),
    )


@pytest.fixture
def schema(client, dispatcher):
    client.force_login(dispatcher)
    return json.loads(client.get(reverse("api-schema"), {"format": "json"}).content)


def events(event_type: str) -> list[dict]:
    return [event.payload for event in WebhookEvent.objects.filter(type=event_type).order_by("pk")]


def assert_matches(schema: dict, component: str, payload: dict) -> None:
    """Every documented field is sent, and nothing undocumented."""
    documented = schema["components"]["schemas"][component]
    assert set(payload) == set(documented["properties"]) == set(documented["required"])


class TestTicketEvents:
    def test_a_logged_call(self, subscribed, dispatcher, branch_a, schema):
        unit = UnitFactory(owner__branch=branch_a)
        ticket = log_call(
            user=dispatcher,
            unit=unit,
            details=CallDetails(fault_category="appliance", fault_description="不制冷"),
        )
        [payload] = events("ticket.logged")
        assert (payload["number"], payload["transition"], payload["state"]) == (
            ticket.number,
            "log_call",
            "reported",
        )
        assert payload["serial_number"] == unit.serial_number and payload["technician"] is None
        assert_matches(schema, "TicketPayload", payload)
        assert WebhookDelivery.objects.get().endpoint == subscribed

    def test_completed_accepted_closed_and_not_the_steps_between(self, subscribed, branch_a, persona, schema):
        supervisor, dispatcher = persona(Role.SUPERVISOR), persona(Role.DISPATCHER)
        ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, signed_report=True)

        def run(user, name, **kwargs):
            return apply_transition(
                ticket_id=ticket.pk, user=user, name=name, expected_version=None, **kwargs
            )

        run(ticket.technician, "complete_visit", note="更换压缩机")
        run(supervisor, "accept")
        answer_in_channel(ticket_id=ticket.pk, answers=ALL_SATISFIED)
        run(dispatcher, "follow_up")
        assert list(WebhookEvent.objects.order_by("pk").values_list("type", flat=True)) == [
            "ticket.completed",
            "ticket.accepted",
            "survey.answered",
            "ticket.closed",
        ]
        [completed] = events("ticket.completed")
        assert (completed["state"], completed["work_summary"]) == ("awaiting_acceptance", "更换压缩机")
        assert events("ticket.closed")[0]["closed_at"] is not None


class TestOtherEvents:
    def test_a_claim_approved_at_its_last_level(self, subscribed, persona, branch_a, schema):
        sh_rule(branch_a)
        ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True)
        claim = submit_claim(
            user=persona(Role.DISPATCHER),
            ticket_id=ticket.pk,
            kind="cash",
            amount=Decimal("1999.99"),
            reason="压缩机质量问题",
            uploads=(),
        )
        assert events("claim.approved") == []
        decide_claim(
            user=persona(Role.SUPERVISOR),
            claim_id=claim.pk,
            expected_version=claim.version,
            approve=True,
            note="同意",
        )
        [payload] = events("claim.approved")
        assert (payload["number"], payload["amount"], payload["status"]) == (
            claim.number,
            "1999.99",
            "approved",
        )
        assert payload["ticket_number"] == ticket.number
        assert_matches(schema, "ClaimPayload", payload)

    def test_each_issue_of_parts_with_what_it_handed_over(
        self, subscribed, branch_a, technician, supervisor, persona, schema
    ):
        keeper = persona(Role.WAREHOUSE)
        store = WarehouseFactory(code="SH-STORE", branch=branch_a)
        WarehouseFactory(code="VAN-TECH", branch=branch_a, kind="van", technician=technician)
        part = PartFactory(code="CMP-35", name="压缩机")
        ledger.move([ledger.Change(part, store, 5)], kind=MovementKind.RECEIPT, actor=keeper, reference="T")
        ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)
        requisition = submit_requisition(
            user=technician, ticket=ticket, warehouse=store, lines=[(part, 2)], reason="压缩机不启动"
        )
        decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
        line = requisition.lines.get()
        issue_requisition(requisition_id=requisition.pk, user=keeper, quantities={line.pk: 1})
        issue_requisition(requisition_id=requisition.pk, user=keeper, quantities={line.pk: 1})
        first, second = events("part.issued")
        assert first["state"] == "partially_issued" and second["state"] == "issued"
        assert first["lines"] == [
            {"part_code": "CMP-35", "part_name": "压缩机", "quantity": 1, "issued_total": 1, "requested": 2}
        ]
        assert second["lines"][0]["issued_total"] == 2
        assert (first["issued_by"], first["warehouse"], first["ticket_number"]) == (
            keeper.username,
            "SH-STORE",
            ticket.number,
        )
        assert_matches(schema, "PartIssuedPayload", first)

    def test_a_survey_answered_in_the_customers_channel(self, subscribed, supervisor, schema):
        ticket = accepted_ticket(supervisor)
        answer_in_channel(ticket_id=ticket.pk, answers=ALL_SATISFIED)
        [payload] = events("survey.answered")
        assert (payload["ticket_number"], payload["answered_via"]) == (ticket.number, "channel")
        assert [payload[name] for name in ("attitude", "skill", "punctuality", "promises")] == [4, 3, 4, 3]
        assert payload["comment"] == "师傅很专业"
        assert_matches(schema, "SurveyPayload", payload)
