"""Resources of the API beyond the generated-client journey: a complaint from open to close, a claim
withdrawn by its claimant, stock read in one's own scope — each through the screens' services and rules."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from claims.models import ClaimStatus
from parts import ledger
from parts.models import MovementKind
from surveys.models import ComplaintState
from tests.api.test_conventions import api_for
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_complaint_from_open_to_close(dispatcher, supervisor, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, accepted=True)
    opened = api_for(dispatcher).post(
        "/api/v1/complaints", {"ticket": ticket.pk, "description": "技术员迟到两小时"}, format="json"
    )
    assert opened.status_code == 201, opened.content
    complaint = opened.json()
    assert complaint["state"] == ComplaintState.RECEIVED and complaint["contact_name"] == ticket.customer.name
    url = f"/api/v1/complaints/{complaint['id']}"
    boss = api_for(supervisor)
    # The dispatcher may answer but not plan; closing before the visit and the answer is refused.
    assert (
        api_for(dispatcher)
        .post(f"{url}/plan", {"plan": "x", "severity": "general"}, format="json")
        .status_code
        == 403
    )
    planned = boss.post(
        f"{url}/plan",
        {"plan": "致歉并调整排班", "severity": "general", "service_at_fault": True},
        format="json",
        HTTP_IF_MATCH=opened["ETag"],
    )
    assert planned.status_code == 200 and planned.json()["state"] == ComplaintState.PLANNED
    stale = boss.post(f"{url}/close", {}, format="json", HTTP_IF_MATCH=opened["ETag"])
    assert stale.status_code == 409
    early = boss.post(f"{url}/close", {}, format="json")
    assert early.status_code == 409 and "走访" in early.json()["message"]
    visited_at = (timezone.now() + datetime.timedelta(minutes=1)).isoformat()
    future = boss.post(
        f"{url}/visit",
        {"visited_by": supervisor.pk, "visited_at": visited_at, "notes": "上门致歉"},
        format="json",
    )
    assert future.status_code == 400 and future.json()["field"] == "visited_at"
    visited = boss.post(
        f"{url}/visit",
        {"visited_by": supervisor.pk, "visited_at": timezone.now().isoformat(), "notes": "上门致歉"},
        format="json",
    )
    assert visited.status_code == 200
    answered = api_for(dispatcher).post(
        f"{url}/answer", {"answer_channel": "phone", "answer_text": "已致歉并说明改进措施"}, format="json"
    )
    assert answered.status_code == 200
    closed = boss.post(f"{url}/close", {}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == ComplaintState.CLOSED


def test_the_claimant_withdraws_a_claim_and_nobody_else_may(dispatcher, supervisor, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
    filed = api_for(dispatcher).post(
        "/api/v1/claims",
        {"ticket": ticket.pk, "kind": "cash", "amount": "500.00", "reason": "延误"},
        format="json",
    )
    assert filed.status_code == 201 and not filed.json()["is_large"]
    url = f"/api/v1/claims/{filed.json()['id']}/withdraw"
    assert api_for(supervisor).post(url, {"reason": "不需要"}, format="json").status_code == 403
    withdrawn = api_for(dispatcher).post(url, {"reason": "客户撤回诉求"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == ClaimStatus.WITHDRAWN


def test_stock_is_read_in_ones_own_branch(persona, branch_a, branch_b):
    keeper = persona(Role.WAREHOUSE)
    part = PartFactory(code="CMP-35")
    here = WarehouseFactory(code="SH-STORE", branch=branch_a)
    there = WarehouseFactory(code="HZ-STORE", branch=branch_b)
    for warehouse in (here, there):
        ledger.move(
            [ledger.Change(part, warehouse, 3)], kind=MovementKind.RECEIPT, actor=keeper, reference="R1"
        )
    api = api_for(keeper)
    levels = api.get("/api/v1/stock-levels", {"part": "CMP-35"}).json()["results"]
    movements = api.get("/api/v1/stock-movements").json()["results"]
    assert [(row["warehouse"], row["on_hand"]) for row in levels] == [("SH-STORE", 3)]
    assert [(row["warehouse"], row["kind"], row["quantity"]) for row in movements] == [
        ("SH-STORE", "receipt", 3)
    ]
