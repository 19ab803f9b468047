"""The goods register and the goods-in documents over the API (issue #22): the register page's readers,
scope and date filter; the pickup receipt and repair tag PDFs of a ticket in one's scope."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from tests.api.test_conventions import api_for
from tests.tickets.test_goods_register import goods_in

pytestmark = pytest.mark.django_db


def test_the_register_is_filtered_and_scoped(persona, supervisor, branch_a, branch_b, technician):
    today = goods_in(branch_a, supervisor)
    old = goods_in(branch_a, supervisor, days_ago=10)
    goods_in(branch_b, persona(Role.SUPERVISOR, branch=branch_b))
    api = api_for(persona(Role.DISPATCHER))
    numbers = [row["number"] for row in api.get("/api/v1/goods-register").json()["results"]]
    assert numbers == [today.number, old.number]
    since = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    recent = api.get("/api/v1/goods-register", {"date_from": since}).json()["results"]
    assert [row["number"] for row in recent] == [today.number]
    backwards = api.get("/api/v1/goods-register", {"date_from": since, "date_to": "2000-01-01"})
    assert backwards.status_code == 400 and backwards.json()["field"] == "date_to"
    assert api_for(technician).get("/api/v1/goods-register").status_code == 403


def test_the_receipt_and_the_tag_are_pdfs_of_ones_own_tickets(persona, supervisor, branch_a, branch_b):
    entry = goods_in(branch_a, supervisor)
    elsewhere = goods_in(branch_b, persona(Role.SUPERVISOR, branch=branch_b))
    api = api_for(persona(Role.DISPATCHER))
    for document in ("receipt", "tag"):
        response = api.get(f"/api/v1/tickets/{entry.ticket_id}/goods/{document}")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert (
            b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"%PDF"
        )
        assert api.get(f"/api/v1/tickets/{elsewhere.ticket_id}/goods/{document}").status_code == 404
