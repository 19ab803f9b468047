"""The cost price (成本价) of a part, on the catalogue page and in its downloads: only the keepers,
finance, the managers, the general manager and the admin see it (parts.permissions); the others see
the market price only, as on the tablet's API."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from parts.permissions import COST_PRICE_VIEWERS
from tests.parts.factories import PartFactory

COST, MARKET = "¥850.00", "¥1,280.00"


def catalogue_files(client) -> dict[str, list[list]]:
    files = {}
    body = b"".join(client.get(reverse("parts:catalogue_export", args=["csv"])).streaming_content)
    files["csv"] = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    body = b"".join(client.get(reverse("parts:catalogue_export", args=["xlsx"])).streaming_content)
    files["xlsx"] = [
        [cell.value for cell in row] for row in load_workbook(io.BytesIO(body)).active.iter_rows()
    ]
    return files


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_only_the_roles_that_buy_or_account_see_the_cost_price(client, persona, role):
    PartFactory(code="CMP-35", cost="850.00", market_price="1280.00")
    client.force_login(persona(role))
    sees_cost = role in COST_PRICE_VIEWERS
    assert sees_cost == (
        role in {Role.WAREHOUSE, Role.FINANCE, Role.MANAGER, Role.GENERAL_MANAGER, Role.ADMIN}
    )

    page = client.get(reverse("parts:catalogue")).content.decode()
    assert MARKET in page
    assert ("成本价" in page, COST in page) == (sees_cost, sees_cost)

    for fmt, rows in catalogue_files(client).items():
        header, line = rows[0], [str(value) for value in rows[1]]
        assert "市场价" in header and "1280.00" in line, fmt
        assert ("成本价" in header, "850.00" in line) == (sees_cost, sees_cost), fmt
