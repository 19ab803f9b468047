"""Fees over the API (issue #22): finance lists the paid jobs of its branch, records a fee received and
its invoice — through the fees page's services, with its scope and its "finance of the branch" rule."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from accounts.models import Role
from claims.models import FeeHandover
from tests.api.test_conventions import api_for
from tests.claims.test_fees import collected

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(persona):
    return persona(Role.FINANCE)


def test_finance_receives_then_invoices_a_fee(finance, technician):
    report = collected(technician, "260.00")
    api = api_for(finance)
    pending = api.get("/api/v1/fees", {"state": "pending"}).json()["results"]
    assert [(row["id"], row["fee"], row["state"]) for row in pending] == [(report.pk, "260.00", "pending")]
    early = api.post(
        f"/api/v1/fees/{report.pk}/invoice",
        {"invoice_number": "FP-1", "invoice_date": str(timezone.localdate())},
        format="json",
    )
    assert early.status_code == 409 and "尚未确认收款" in early.json()["message"]
    key = str(uuid.uuid4())
    received = api.post(f"/api/v1/fees/{report.pk}/receive", format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(f"/api/v1/fees/{report.pk}/receive", format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert received.status_code == 200 and received.json()["state"] == "received"
    assert again.json() == received.json() and FeeHandover.objects.count() == 1
    twice = api.post(f"/api/v1/fees/{report.pk}/receive", format="json")
    assert twice.status_code == 409
    future = api.post(
        f"/api/v1/fees/{report.pk}/invoice",
        {"invoice_number": "FP-1", "invoice_date": "2099-01-01"},
        format="json",
    )
    assert future.status_code == 400 and future.json()["field"] == "invoice_date"
    invoiced = api.post(
        f"/api/v1/fees/{report.pk}/invoice",
        {"invoice_number": "FP-20261127-01", "invoice_date": str(timezone.localdate())},
        format="json",
    )
    assert invoiced.status_code == 200, invoiced.content
    body = invoiced.json()
    assert body["state"] == "invoiced" and body["handover"]["invoice_number"] == "FP-20261127-01"
    assert [row["id"] for row in api.get("/api/v1/fees", {"state": "invoiced"}).json()["results"]] == [
        report.pk
    ]
    assert api.get("/api/v1/fees", {"state": "pending"}).json()["results"] == []


def test_only_finance_of_the_branch_writes_and_the_fee_readers_read(
    finance, technician, supervisor, persona, branch_b
):
    report = collected(technician)
    elsewhere = collected(persona(Role.TECHNICIAN, branch=branch_b))
    boss = api_for(supervisor)
    assert [row["id"] for row in boss.get("/api/v1/fees").json()["results"]] == [report.pk]
    assert boss.post(f"/api/v1/fees/{report.pk}/receive", format="json").status_code == 403
    assert api_for(technician).get("/api/v1/fees").status_code == 403
    assert api_for(finance).post(f"/api/v1/fees/{elsewhere.pk}/receive", format="json").status_code == 404
    assert not FeeHandover.objects.exists()
