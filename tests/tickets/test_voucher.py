"""The service voucher PDF (服务凭证): Chinese text that a PDF reader finds, and where it is offered."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from tests.tickets.factories import TicketFactory, signature_png
from tickets.documents import service_voucher_pdf
from tickets.report_services import PartLine, add_part, save_report, sign_report


@pytest.fixture
def signed_report(branch_a):
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__name="张伟",
        on_site=True,
        visit_count=1,
        service_category="A",
        warranty_decision={"remedy": "paid_repair", "payer": "customer", "reasons": []},
    )
    save_report(
        ticket_id=ticket.pk,
        user=ticket.technician,
        idempotency_key=uuid.uuid4(),
        expected_version=None,
        changes={
            "customer_account": "空调开机五分钟后自动停机",
            "usage_reading": "约 1200 小时",
            "previously_disassembled": False,
            "findings": "室外机电容鼓包",
            "cause": "电容老化",
            "work_done": "更换启动电容,试机正常",
            "labour_hours": Decimal("1.50"),
            "fee": Decimal("1280.00"),
            "payment_method": "wechat",
        },
    )
    add_part(
        ticket_id=ticket.pk,
        user=ticket.technician,
        line=PartLine(part_code="CAP-35", part_name="启动电容", quantity=1, removed_serial="OLD1"),
    )
    return sign_report(
        ticket_id=ticket.pk, user=ticket.technician, signer_name="张伟", signature_png=signature_png()
    )


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
def test_the_voucher_is_an_a4_pdf_with_the_chinese_text_the_customer_signed(signed_report, settings):
    data = service_voucher_pdf(signed_report)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    text = pdf_text(data).replace("\n", "")
    for expected in (
        "服务凭证",
        settings.COMPANY_NAME,
        signed_report.ticket.number,
        "张伟",
        "室外机电容鼓包",
        "启动电容",
        "¥1,280.00",
        "有偿维修",
        signed_report.content_sha256,
    ):
        assert expected in text, expected
    assert [image for page in reader.pages for image in page.images], "the signature image is embedded"


@pytest.mark.django_db
def test_the_voucher_is_downloaded_from_the_ticket_and_listed_in_the_unit_history(
    client, signed_report, dispatcher, persona, branch_b
):
    ticket = signed_report.ticket
    url = reverse("tickets:report_voucher", args=[ticket.pk, signed_report.pk])
    client.force_login(dispatcher)
    assert url in client.get(ticket.get_absolute_url()).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "张伟" in pdf_text(response.content)
    assert url in client.get(ticket.unit.get_absolute_url()).content.decode()
    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_unit_history_lists_vouchers_in_constant_queries(client, signed_report, dispatcher):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(signed_report.ticket.unit.get_absolute_url()).status_code == 200
        return len(captured)

    client.force_login(dispatcher)
    before = queries()
    ticket = TicketFactory(unit=signed_report.ticket.unit, on_site=True, visit_count=1, signed_report=True)
    assert ticket.reports.get().is_signed
    assert queries() == before


@pytest.mark.django_db
def test_an_unsigned_report_has_no_voucher(client, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)
    report = save_report(
        ticket_id=ticket.pk,
        user=ticket.technician,
        idempotency_key=uuid.uuid4(),
        expected_version=None,
        changes={"findings": "缺氟"},
    )
    client.force_login(ticket.technician)
    assert client.get(reverse("tickets:report_voucher", args=[ticket.pk, report.pk])).status_code == 404
