"""The tablet's read-only parts API: catalogue search and the technician's own van."""

import pytest
from django.urls import reverse

from accounts.models import Role
from parts.services import ReceiptLine, receive_parts, submit_requisition
from tests.parts.factories import PartFactory
from tests.tickets.factories import TicketFactory


@pytest.mark.django_db
def test_the_catalogue_searches_and_hides_the_cost(client, technician, part):
    PartFactory(code="VLV-4W", name="四通阀")
    client.force_login(technician)
    body = client.get(reverse("api-parts"), {"search": "压缩"}).json()
    assert [row["code"] for row in body["results"]] == ["CMP-35"]
    assert body["results"][0]["market_price"] == "1280.00" and "cost" not in body["results"][0]


@pytest.mark.django_db
def test_my_van_lists_only_my_stock(client, technician, van, store, part, stock):
    stock(part, van, 2)
    stock(part, store, 9)
    client.force_login(technician)
    body = client.get(reverse("api-parts-my-van")).json()
    assert [(row["warehouse"], row["part"]["code"], row["on_hand"]) for row in body["results"]] == [
        ("VAN-TECH", "CMP-35", 2)
    ]


@pytest.mark.django_db
def test_the_api_needs_a_login(client):
    assert client.get(reverse("api-parts")).status_code in (401, 403)


@pytest.mark.django_db
def test_a_requisition_is_read_once_with_its_lines(
    postgres, client, technician, store, part, django_assert_num_queries
):
    """The scope check is the read: one query for the requisition, one each for its lines and parts."""
    ticket = TicketFactory(unit__owner__branch=store.branch, on_site=True, technician=technician)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(part, 2)], reason="压缩机不启动"
    )
    client.force_login(technician)
    url = f"/api/v1/requisitions/{requisition.pk}"
    client.get(url)
    with django_assert_num_queries(
        5
    ):  # session, user with branch and roles; the requisition, its lines, parts
        body = client.get(url).json()
    assert body["lines"][0]["part"] == "CMP-35" and body["ticket"] == ticket.pk
    assert client.get("/api/v1/requisitions/999999").status_code == 404


@pytest.mark.django_db
def test_a_receiving_note_is_read_once_with_its_lines(
    postgres, client, keeper, store, part, branch_b, persona, django_assert_num_queries
):
    note = receive_parts(user=keeper, warehouse=store, lines=[ReceiptLine(part, 2)])
    client.force_login(keeper)
    url = f"/api/v1/receiving-notes/{note.pk}"
    client.get(url)
    with django_assert_num_queries(5):  # session, user with branch and roles; the note, its lines, parts
        body = client.get(url).json()
    assert body["lines"][0]["part"] == "CMP-35"
    client.force_login(persona(Role.WAREHOUSE, branch=branch_b, username="hz_keeper"))
    assert client.get(url).status_code == 404  # another branch's store
