"""The tablet's read-only parts API: catalogue search and the technician's own van."""

import pytest
from django.urls import reverse

from tests.parts.factories import PartFactory


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
