"""The warranty contract through the real HTTP endpoint (POST /api/v1/warranty/check)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD
from tests.api_errors import error_fields, error_message
from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory
from warranty import rules
from warranty.models import WarrantyPolicy

SAMPLES = json.loads(
    (Path(__file__).resolve().parents[3] / "shared" / "acceptance" / "warranty_cases_sample.json").read_text()
)


@pytest.fixture
def api(dispatcher):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token", {"username": dispatcher.username, "password": PASSWORD}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("case", SAMPLES, ids=[case["note"] for case in SAMPLES])
def test_sample_cases(api, case):
    response = api.post("/api/v1/warranty/check", case["request"], format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {key: body[key] for key in case["expect"]} == case["expect"]
    assert body["reasons"] and all(reason["code"] and reason["text"] for reason in body["reasons"])


@pytest.mark.django_db
def test_reasons_are_chinese_sentences_naming_the_rule(api):
    body = api.post(
        "/api/v1/warranty/check",
        {"policy": "retail", "purchase_date": "2026-09-03", "report_date": "2026-09-12", "fault": "quality"},
        format="json",
    ).json()
    assert "购买第 9 天" in body["reasons"][0]["text"] and "15 天内可退货" in body["reasons"][0]["text"]


VALID = {
    "policy": "manufacturer",
    "purchase_date": "2026-07-10",
    "report_date": "2026-07-13",
    "fault": "quality",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"policy": "nonexistent"}, "policy"),
        ({"policy": None}, "policy"),
        ({"conditions": ["gift"]}, "conditions"),  # a retail condition under the manufacturer policy
        ({"conditions": ["made_up"]}, "conditions"),
        ({"conditions": "appearance_damage"}, "conditions"),
        ({"purchase_date": "2026-02-30"}, "purchase_date"),
        ({"purchase_date": "10/07/2026"}, "purchase_date"),
        ({"purchase_date": "2026-07-10T08:00:00"}, "purchase_date"),
        ({"report_date": ""}, "report_date"),
        ({"report_date": "2026-07-01"}, "report_date"),
        ({"prior_repairs_same_fault": -1}, "prior_repairs_same_fault"),
        ({"prior_repairs_same_fault": "two"}, "prior_repairs_same_fault"),
        ({"prior_repairs_same_fault": 1.5}, "prior_repairs_same_fault"),
        ({"fault": "alien"}, "fault"),
        ({"purchase_date": "9999-12-31", "report_date": "9999-12-31"}, "purchase_date"),
    ],
)
def test_bad_input_is_400_with_field_errors(api, change, field):
    response = api.post("/api/v1/warranty/check", {**VALID, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response)


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["policy", "purchase_date", "report_date", "fault"])
def test_a_missing_field_is_400(api, missing):
    body = {key: value for key, value in VALID.items() if key != missing}
    response = api.post("/api/v1/warranty/check", body, format="json")
    assert response.status_code == 400 and missing in error_fields(response)


@pytest.mark.django_db
def test_report_before_purchase_is_explained_in_chinese(api):
    response = api.post("/api/v1/warranty/check", {**VALID, "report_date": "2026-07-01"}, format="json")
    assert "报修日期不能早于购买日期" in error_message(response, "report_date")


@pytest.mark.django_db
def test_malformed_json_is_400(api):
    response = api.post("/api/v1/warranty/check", "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_policy_added_by_an_admin_is_usable_by_its_slug(api):
    WarrantyPolicy.objects.create(
        slug="two-years", name="两年保修", free_repair_amount=24, free_repair_unit="months"
    )
    body = api.post(
        "/api/v1/warranty/check", {**VALID, "policy": "two-years", "report_date": "2028-01-01"}, format="json"
    ).json()
    assert (body["remedy"], body["warranty_end"]) == ("free_repair", "2028-07-10")


def test_token_is_required():
    response = APIClient().post("/api/v1/warranty/check", VALID, format="json")
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_the_presets_in_the_database_are_the_rules_presets():
    for slug, terms in rules.PRESETS.items():
        assert WarrantyPolicy.objects.get(slug=slug).to_terms() == terms


@pytest.mark.django_db
def test_unit_warranty_counts_earlier_repairs_of_the_same_fault(api, branch_a):
    purchase = datetime.date(2025, 7, 10)
    unit = UnitFactory(owner__branch=branch_a, purchase_date=purchase, serial_number="SN-W-1")
    TicketFactory(
        unit=unit, closed=True, completed_at="2025-10-01T10:00:00+08:00", fault_category="appliance"
    )
    body = api.get("/api/v1/units/SN-W-1/warranty", {"date": "2026-08-01"}).json()
    assert (body["remedy"], body["warranty_end"]) == ("free_repair", "2026-09-10")
    assert "repeat_extension" in [reason["code"] for reason in body["reasons"]]
    assert api.get("/api/v1/units/SN-W-1/warranty", {"date": "2026-13-01"}).status_code == 400
    assert api.get("/api/v1/units/NOPE/warranty").status_code == 404
