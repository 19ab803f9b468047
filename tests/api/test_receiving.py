"""Receiving over the API (issue #22): a keeper books a delivery into their store through the receiving
page's service — one numbered note, the ledger moved — and nobody else may."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Role
from parts.models import ReceivingNote, StockLevel
from tests.api.test_conventions import api_for
from tests.parts.factories import PartFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_a_keeper_books_a_delivery_once(persona, branch_a):
    keeper = persona(Role.WAREHOUSE)
    PartFactory(code="CMP-35")
    store = WarehouseFactory(code="SH-STORE", branch=branch_a)
    api = api_for(keeper)
    body = {
        "warehouse": "SH-STORE",
        "delivery_reference": "SHD-1127",
        "lines": [{"part": "CMP-35", "quantity": 4, "unit_cost": "420.00"}],
    }
    key = str(uuid.uuid4())
    created = api.post("/api/v1/receiving-notes", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post("/api/v1/receiving-notes", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert created.status_code == 201, created.content
    note = created.json()
    assert again.json() == note and ReceivingNote.objects.count() == 1
    assert "JS" in note["number"] and note["lines"][0]["quantity"] == 4
    assert StockLevel.objects.get(warehouse=store, part__code="CMP-35").on_hand == 4
    assert api.get(f"/api/v1/receiving-notes/{note['id']}").json()["delivery_reference"] == "SHD-1127"
    assert [row["id"] for row in api.get("/api/v1/receiving-notes").json()["results"]] == [note["id"]]


def test_unknown_parts_other_stores_and_other_roles_are_refused(persona, branch_a, branch_b, technician):
    keeper = persona(Role.WAREHOUSE)
    PartFactory(code="CMP-35")
    WarehouseFactory(code="SH-STORE", branch=branch_a)
    WarehouseFactory(code="HZ-STORE", branch=branch_b)
    api = api_for(keeper)
    line = {"part": "CMP-35", "quantity": 1}
    unknown = api.post(
        "/api/v1/receiving-notes",
        {"warehouse": "SH-STORE", "lines": [{"part": "NOPE", "quantity": 1}]},
        format="json",
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "lines"
    elsewhere = api.post("/api/v1/receiving-notes", {"warehouse": "HZ-STORE", "lines": [line]}, format="json")
    assert elsewhere.status_code == 400 and elsewhere.json()["field"] == "warehouse"
    refused = api_for(technician).post(
        "/api/v1/receiving-notes", {"warehouse": "SH-STORE", "lines": [line]}, format="json"
    )
    assert refused.status_code == 403
    assert not ReceivingNote.objects.exists()
