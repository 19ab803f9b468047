"""Fees that follow the verdict (issue #14 item 3): a fee on a repair the company pays for has a stated
reason that the voucher and finance show; a paid job's fee step is never empty; the quote fills it."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import Role
from aftersales.errors import UserError
from claims.fee_services import record_fee_quote
from tests.tickets.factories import COMPLETE_REPORT, TicketFactory, signature_png
from tickets.documents import service_voucher_pdf
from tickets.models import ServiceCategory, ServiceReport
from tickets.report_services import save_report, sign_report

FREE_REPAIR = {"remedy": "free_repair", "payer": "company", "reasons": []}
PAID_REPAIR = {"remedy": "paid_repair", "payer": "customer", "reasons": []}


@pytest.fixture
def free_repair(branch_a):
    return TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__name="张伟",
        on_site=True,
        visit_count=1,
        service_category=ServiceCategory.FREE,
        warranty_decision=FREE_REPAIR,
    )


@pytest.fixture
def paid_job(branch_a):
    return TicketFactory(
        unit__owner__branch=branch_a,
        on_site=True,
        visit_count=1,
        service_category=ServiceCategory.PAID,
        warranty_decision=PAID_REPAIR,
    )


def save(ticket, changes):
    return save_report(
        ticket_id=ticket.pk,
        user=ticket.technician,
        idempotency_key=uuid.uuid4(),
        expected_version=None,
        changes=changes,
    )


def post_fee_step(client, ticket, **data):
    client.force_login(ticket.technician)
    return client.post(
        reverse("tickets:report_step", args=[ticket.pk, 5]),
        {"idempotency_key": str(uuid.uuid4()), "version": "", "payment_method": "", **data},
    )


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


@pytest.mark.django_db
class TestFeeOnAFreeRepair:
    def test_a_fee_without_a_reason_is_refused_naming_the_field(self, client, free_repair):
        save(free_repair, COMPLETE_REPORT)
        response = post_fee_step(client, free_repair, fee="80", payment_method="cash")
        assert response.status_code == 400
        assert "收费原因:本单保修判定由公司承担费用,收取服务费须选择收费原因。" in response.content.decode()
        assert ServiceReport.objects.get().fee == 0

    def test_the_fee_step_offers_the_reasons_only_where_the_company_pays(self, client, free_repair, paid_job):
        for ticket, shown in ((free_repair, True), (paid_job, False)):
            client.force_login(ticket.technician)
            page = client.get(reverse("tickets:report", args=[ticket.pk]) + "?step=5").content.decode()
            assert ('name="fee_reason"' in page) is shown
            assert ("保修范围外的配件" in page) is shown

    def test_other_needs_a_note(self, free_repair):
        save(free_repair, COMPLETE_REPORT)
        with pytest.raises(UserError, match="收费原因说明") as error:
            save(free_repair, {"fee": Decimal("80"), "fee_reason": "other", "fee_reason_note": " "})
        assert error.value.field == "fee_reason_note"

    def test_with_a_reason_it_is_stored_signed_and_printed_on_the_voucher(self, client, free_repair):
        save(free_repair, COMPLETE_REPORT)
        response = post_fee_step(
            client, free_repair, fee="80", payment_method="cash", fee_collected="on", fee_reason="parts"
        )
        assert response.status_code == 302
        report = ServiceReport.objects.get()
        assert (report.fee, report.fee_reason) == (Decimal("80.00"), "parts")
        page = client.get(reverse("tickets:report", args=[free_repair.pk]) + "?step=6").content.decode()
        assert (
            'data-testid="summary-fee-reason"' in page and "保修范围外的配件" in page
        )  # the customer sees it
        report = sign_report(
            ticket_id=free_repair.pk,
            user=free_repair.technician,
            signer_name="张伟",
            signature_png=signature_png(),
        )
        text = pdf_text(service_voucher_pdf(report))
        assert "收费原因" in text and "保修范围外的配件" in text and "¥80.00" in text

    def test_finance_sees_the_reason_beside_the_fee(self, client, free_repair, persona):
        save(
            free_repair,
            {**COMPLETE_REPORT, "fee": Decimal("80"), "payment_method": "cash"}
            | {
                "fee_reason": "other",
                "fee_reason_note": "客户要求加装防雨罩",
            },
        )
        sign_report(
            ticket_id=free_repair.pk,
            user=free_repair.technician,
            signer_name="张伟",
            signature_png=signature_png(),
        )
        client.force_login(persona(Role.FINANCE))
        page = client.get(reverse("claims:fees")).content.decode()
        assert 'data-testid="fee-reason"' in page
        assert "公司承担的维修" in page and "客户要求加装防雨罩" in page

    def test_a_verdict_revised_to_company_pays_blocks_the_signature_until_a_reason_is_given(self, paid_job):
        save(paid_job, {**COMPLETE_REPORT, "fee": Decimal("80"), "payment_method": "cash"})
        type(paid_job).objects.filter(pk=paid_job.pk).update(
            warranty_decision=FREE_REPAIR, service_category=ServiceCategory.FREE
        )
        with pytest.raises(UserError, match="缺少:收费原因"):
            sign_report(
                ticket_id=paid_job.pk,
                user=paid_job.technician,
                signer_name="张伟",
                signature_png=signature_png(),
            )

    def test_a_reason_without_a_fee_is_not_kept(self, free_repair):
        report = save(free_repair, {**COMPLETE_REPORT, "fee": Decimal("0"), "fee_reason": "damage"})
        assert report.fee_reason == ""


@pytest.mark.django_db
class TestPaidJobFeeStep:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"fee": "0", "payment_method": "cash"}, "服务费:有偿服务须填写与客户约定的服务费,且大于 0 元。"),
            ({"fee": "", "payment_method": "cash"}, "服务费:有偿服务须填写与客户约定的服务费,且大于 0 元。"),
            ({"fee": "180", "payment_method": ""}, "付款方式:有偿服务须选择付款方式。"),
        ],
    )
    def test_an_empty_fee_step_is_refused(self, client, paid_job, data, message):
        save(paid_job, COMPLETE_REPORT)
        response = post_fee_step(client, paid_job, **data)
        assert response.status_code == 400
        assert message in response.content.decode()
        report = ServiceReport.objects.get()
        assert (report.fee, report.payment_method) == (0, "")

    def test_the_first_save_of_an_empty_fee_step_is_refused_too(self, client, paid_job):
        response = post_fee_step(client, paid_job, fee="0")
        assert response.status_code == 400
        assert not ServiceReport.objects.exists()

    def test_the_api_patch_follows_the_same_rule(self, paid_job, free_repair):
        api = APIClient()
        api.force_authenticate(paid_job.technician)
        url = f"/api/v1/tickets/{paid_job.pk}/report"
        response = api.patch(url, {**COMPLETE_REPORT, "fee": "0", "payment_method": ""}, format="json")
        assert response.status_code == 400
        assert "服务费" in str(response.json())
        response = api.patch(
            url, {**COMPLETE_REPORT, "fee": "180", "payment_method": "wechat"}, format="json"
        )
        assert response.status_code == 200 and response.json()["fee"] == "180.00"
        # Other steps of a paid job still save alone before the fee is agreed.
        other = TicketFactory(
            unit__owner__branch=paid_job.branch,
            on_site=True,
            visit_count=1,
            technician=paid_job.technician,
            service_category=ServiceCategory.PAID,
        )
        response = api.patch(f"/api/v1/tickets/{other.pk}/report", COMPLETE_REPORT, format="json")
        assert response.status_code == 200
        api.force_authenticate(free_repair.technician)
        url = f"/api/v1/tickets/{free_repair.pk}/report"
        response = api.patch(url, {"customer_account": "不制冷", "fee": "80"}, format="json")
        assert response.status_code == 400 and "收费原因" in str(response.json())
        response = api.patch(
            url, {"customer_account": "不制冷", "fee": "80", "fee_reason": "extra_work"}, format="json"
        )
        assert response.status_code == 200 and response.json()["fee_reason"] == "extra_work"


@pytest.mark.django_db
class TestQuotedFee:
    def test_the_quote_is_the_fee_steps_initial_value(self, client, paid_job):
        record_fee_quote(
            user=paid_job.technician,
            ticket_id=paid_job.pk,
            amount=Decimal("180.00"),
            description="上门费及更换启动电容",
            agreed_by="张伟",
        )
        save(paid_job, COMPLETE_REPORT)
        client.force_login(paid_job.technician)
        page = client.get(reverse("tickets:report", args=[paid_job.pk]) + "?step=5").content.decode()
        assert 'name="fee" value="180.00"' in page

    def test_a_saved_fee_is_not_replaced_by_the_quote(self, client, paid_job):
        save(paid_job, {**COMPLETE_REPORT, "fee": Decimal("150"), "payment_method": "cash"})
        record_fee_quote(
            user=paid_job.technician,
            ticket_id=paid_job.pk,
            amount=Decimal("180"),
            description="上门费",
            agreed_by="张伟",
        )
        client.force_login(paid_job.technician)
        page = client.get(reverse("tickets:report", args=[paid_job.pk]) + "?step=5").content.decode()
        assert 'name="fee" value="150.00"' in page
