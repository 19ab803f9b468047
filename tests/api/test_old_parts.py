"""Old parts over the API (issue #22): the keeper lists the old parts expected back and receives one into
their store through the old-parts page's service; the replacement is then written off as on the page."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Role
from parts import ledger
from parts.models import Condition, MovementKind, OldPart
from tests.api.test_conventions import api_for
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.parts.test_old_parts import complete_visit
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def expected_old_part(branch_a, technician, persona):
    part = PartFactory(code="CMP-35", name="压缩机")
    van = WarehouseFactory(code="VAN-TECH", branch=branch_a, kind="van", technician=technician)
    ledger.move(
        [ledger.Change(part, van, 1)], kind=MovementKind.RECEIPT, actor=persona(Role.WAREHOUSE), reference="T"
    )
    ticket = TicketFactory(
        unit__owner__branch=branch_a, on_site=True, technician=technician, signed_report=True
    )
    complete_visit(ticket, ("CMP-35", 1, True))
    return OldPart.objects.get()


def test_a_keeper_receives_an_old_part_once(persona, branch_a, expected_old_part):
    keeper = persona(Role.WAREHOUSE)
    store = WarehouseFactory(code="SH-STORE", branch=branch_a)
    api = api_for(keeper)
    listed = api.get("/api/v1/old-parts", {"state": "expected"}).json()["results"]
    assert [(row["id"], row["part"], row["state"]) for row in listed] == [
        (expected_old_part.pk, "CMP-35", "expected")
    ]
    url = f"/api/v1/old-parts/{expected_old_part.pk}/receive"
    key = str(uuid.uuid4())
    received = api.post(url, {"warehouse": "SH-STORE"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(url, {"warehouse": "SH-STORE"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert received.status_code == 200, received.content
    assert received.json()["state"] == "received" and received.json()["warehouse"] == "SH-STORE"
    assert again.json() == received.json()
    assert ledger.on_hand(expected_old_part.part, store, Condition.OLD) == 1
    twice = api.post(url, {"warehouse": "SH-STORE"}, format="json")
    assert twice.status_code == 400 and "已入库" in twice.json()["message"]


def test_only_a_keeper_receives_and_the_technician_does_not_list(
    persona, branch_a, technician, expected_old_part
):
    WarehouseFactory(code="SH-STORE", branch=branch_a)
    url = f"/api/v1/old-parts/{expected_old_part.pk}/receive"
    refused = api_for(persona(Role.SUPERVISOR)).post(url, {"warehouse": "SH-STORE"}, format="json")
    assert refused.status_code == 403
    assert api_for(technician).get("/api/v1/old-parts").status_code == 403
    expected_old_part.refresh_from_db()
    assert expected_old_part.state == OldPart.State.EXPECTED
