"""`/api/v1/tickets/{id}/report`: the same services as the tablet pages."""

from __future__ import annotations

import base64
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from tests.api_errors import error_fields
from tests.tickets.factories import TicketFactory, signature_png
from tickets.models import ServiceReport
from tickets.report_services import sign_report

COMPLETE = {
    "customer_account": "不制冷",
    "usage_reading": "3 年",
    "previously_disassembled": True,
    "findings": "缺氟",
    "cause": "管路焊点渗漏",
    "work_done": "补焊并加氟",
    "labour_hours": "2.00",
}


@pytest.fixture
def on_site(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/report"


@pytest.mark.django_db
def test_get_before_any_report_is_404_then_patch_creates_it(on_site):
    api = api_for(on_site.technician)
    assert api.get(url(on_site)).status_code == 404
    response = api.patch(url(on_site), {"idempotency_key": str(uuid.uuid4()), **COMPLETE}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["findings"], body["labour_hours"], body["is_signed"], body["missing"]) == (
        "缺氟",
        "2.00",
        False,
        [],
    )
    assert api.get(url(on_site)).json()["id"] == body["id"]


@pytest.mark.django_db
def test_bad_input_is_400_with_field_errors(on_site):
    api = api_for(on_site.technician)
    response = api.patch(url(on_site), {"labour_hours": "-1", "payment_method": "bitcoin"}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"labour_hours", "payment_method"}
    assert not ServiceReport.objects.exists()


@pytest.mark.django_db
def test_a_signed_report_answers_409_and_is_unchanged(on_site):
    api = api_for(on_site.technician)
    api.patch(url(on_site), COMPLETE, format="json")
    sign_report(
        ticket_id=on_site.pk, user=on_site.technician, signer_name="王芳", signature_png=signature_png()
    )
    response = api.patch(url(on_site), {"findings": "改过"}, format="json")
    assert response.status_code == 409 and "不能再修改" in response.json()["message"]
    assert ServiceReport.objects.get().findings == "缺氟"
    assert api.get(url(on_site)).json()["is_signed"] is True


@pytest.mark.django_db
def test_a_stale_version_is_409(on_site):
    api = api_for(on_site.technician)
    first = api.patch(url(on_site), {"findings": "缺氟"}, format="json").json()
    api.patch(url(on_site), {"cause": "渗漏", "version": first["version"]}, format="json")
    response = api.patch(url(on_site), {"findings": "不缺氟", "version": first["version"]}, format="json")
    assert response.status_code == 409 and "刷新" in response.json()["message"]


@pytest.mark.django_db
def test_only_the_assigned_technician_writes_and_outsiders_get_404(on_site, persona, dispatcher, branch_b):
    assert api_for(dispatcher).patch(url(on_site), {"findings": "x"}, format="json").status_code == 403
    stranger = persona(Role.TECHNICIAN, username="stranger")
    assert api_for(stranger).patch(url(on_site), {"findings": "x"}, format="json").status_code == 404
    assert api_for(persona(Role.DISPATCHER, branch=branch_b)).get(url(on_site)).status_code == 404
    assert not ServiceReport.objects.exists()


@pytest.mark.django_db
def test_the_report_carries_an_etag_and_its_writes_honour_if_match(on_site):
    """As on the ticket: the ETag of a read is the If-Match of the next save or of the signature (the
    report's version), so a client need not copy `version` into every body."""
    api = api_for(on_site.technician)
    created = api.patch(url(on_site), {"idempotency_key": str(uuid.uuid4()), **COMPLETE}, format="json")
    read = api.get(url(on_site))
    assert created["ETag"] == read["ETag"] == f'"{read.json()["version"]}"'
    saved = api.patch(url(on_site), {"cause": "焊点渗漏"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert saved.status_code == 200 and saved["ETag"] == f'"{saved.json()["version"]}"' != read["ETag"]
    stale = api.patch(url(on_site), {"cause": "别的"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    signature = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    sign = {"signer_name": "王芳", "signature": signature}
    refused = api.post(f"{url(on_site)}/sign", sign, format="json", HTTP_IF_MATCH=read["ETag"])
    assert refused.status_code == 409  # the customer read an older report than the one there now
    signed = api.post(f"{url(on_site)}/sign", sign, format="json", HTTP_IF_MATCH=saved["ETag"])
    assert signed.status_code == 200 and signed.json()["is_signed"]
    assert ServiceReport.objects.get(pk=saved.json()["id"]).cause == "焊点渗漏"
