"""Return to factory (返厂): request → approve (goods in, receipt, tag) → finish → hand over / ship back."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import Role
from aftersales.errors import UserError
from tests.tickets.factories import TicketFactory, signature_png
from tickets.models import GoodsRegisterEntry, PickupReceipt, RepairTicket, State, TicketEvent
from tickets.return_services import (
    FactoryRepair,
    GoodsIn,
    approve_return,
    finish_factory_repair,
    hand_over,
    ship_back,
)
from tickets.services import apply_transition


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def version(ticket_id: int) -> int:
    return RepairTicket.objects.get(pk=ticket_id).version


@pytest.fixture
def on_site(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, unit__owner__name="张伟", on_site=True, visit_count=1)


@pytest.mark.django_db
def test_the_whole_path_through_the_pages(client, on_site, dispatcher, supervisor):
    ticket, technician = on_site, on_site.technician
    # Request (technician, with a reason), through the generic transition form.
    client.force_login(technician)
    client.post(
        reverse("tickets:transition", args=[ticket.pk, "request_return"]),
        {"version": ticket.version, "note": "压缩机异响,现场无法修复"},
    )
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.RMA_REQUESTED
    # Approve (supervisor): goods in, receipt and tag in the same step.
    client.force_login(supervisor)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert reverse("tickets:return_approve", args=[ticket.pk]) in page
    response = client.post(
        reverse("tickets:return_approve", args=[ticket.pk]),
        {"version": version(ticket.pk), "accessories": "遥控器", "condition": "外壳划痕", "note": "同意"},
    )
    assert response.status_code == 302
    entry = GoodsRegisterEntry.objects.get(ticket=ticket)
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.IN_FACTORY
    assert entry.number.startswith("SH-GI-") and entry.receipt.number.startswith("SH-RC-")
    assert entry.item_description.endswith(ticket.unit.serial_number) and entry.out_at is None
    receipt = client.get(reverse("tickets:pickup_receipt_pdf", args=[ticket.pk]))
    assert receipt["Content-Type"] == "application/pdf"
    assert "客户商品领取收据" in pdf_text(receipt.content) and entry.receipt.number in pdf_text(
        receipt.content
    )
    tag = client.get(reverse("tickets:repair_tag_pdf", args=[ticket.pk]))
    tag_pdf = PdfReader(io.BytesIO(tag.content))
    assert "修护卡" in pdf_text(tag.content) and tag_pdf.pages[0].images, "the QR code is on the tag"
    # Finish (the technician), with hours, parts and the supervisor's inspection.
    client.force_login(technician)
    response = client.post(
        reverse("tickets:return_finish", args=[ticket.pk]),
        {
            "version": version(ticket.pk),
            "work_done": "更换压缩机",
            "labour_hours": "3.5",
            "parts_used": "压缩机 × 1",
            "inspection_note": "试机正常",
            "inspector": supervisor.pk,
        },
    )
    ticket.refresh_from_db()
    assert ticket.state == State.AWAITING_PICKUP
    entry.tag.refresh_from_db()
    assert (entry.tag.labour_hours, entry.tag.inspected_by, entry.tag.parts_used) == (
        Decimal("3.50"),
        supervisor,
        "压缩机 × 1",
    )
    assert TicketEvent.objects.filter(ticket=ticket, action="notify_pickup").exists()
    # Hand over (dispatcher): the customer signs, the receipt is voided, the item leaves the register.
    client.force_login(dispatcher)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert reverse("tickets:return_hand_over", args=[ticket.pk]) in page and "signature-canvas" in page
    assert reverse("tickets:return_ship_back", args=[ticket.pk]) in page and "js/report.js" in page
    assert entry.receipt.number in page and 'data-testid="tag-link"' in page
    assert "随机附件: 遥控器 · 外观与状态: 外壳划痕" in page  # what came in with the unit
    response = client.post(
        reverse("tickets:return_hand_over", args=[ticket.pk]),
        {"version": ticket.version, "signer_name": "张伟", "signature": data_url(signature_png())},
    )
    ticket.refresh_from_db()
    assert ticket.state == State.AWAITING_ACCEPTANCE
    entry.refresh_from_db()
    entry.receipt.refresh_from_db()
    assert entry.out_kind == "handed_over" and entry.out_at and entry.out_by == dispatcher
    assert entry.receipt.is_void and entry.receipt.signer_name == "张伟" and entry.receipt.signature
    assert "已作废" in pdf_text(client.get(reverse("tickets:pickup_receipt_pdf", args=[ticket.pk])).content)
    actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == [
        "request_return",
        "approve_return",
        "goods_in",
        "finish_factory_repair",
        "notify_pickup",
        "hand_over",
        "goods_out",
    ]


@pytest.mark.django_db
def test_a_rejected_request_goes_back_to_dispatch_with_no_paperwork(client, on_site, supervisor):
    ticket = apply_transition(
        ticket_id=on_site.pk,
        user=on_site.technician,
        name="request_return",
        expected_version=on_site.version,
        note="需返厂",
    )
    client.force_login(supervisor)
    client.post(
        reverse("tickets:transition", args=[ticket.pk, "reject_return"]),
        {"version": ticket.version, "note": "现场更换电容即可"},
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.technician) == (State.DISPATCHED, on_site.technician)
    assert not GoodsRegisterEntry.objects.exists() and not PickupReceipt.objects.exists()


@pytest.mark.django_db
def test_the_return_transitions_cannot_bypass_their_paperwork(client, branch_a, supervisor):
    ticket = TicketFactory(unit__owner__branch=branch_a, rma_requested=True)
    client.force_login(supervisor)
    client.post(
        reverse("tickets:transition", args=[ticket.pk, "approve_return"]), {"version": ticket.version}
    )
    ticket.refresh_from_db()
    assert ticket.state == State.RMA_REQUESTED


@pytest.mark.django_db
def test_ship_back_needs_a_tracking_number_and_voids_the_receipt(branch_a, supervisor, dispatcher):
    ticket = TicketFactory(unit__owner__branch=branch_a, rma_requested=True)
    approve_return(ticket_id=ticket.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn())
    finish_factory_repair(
        ticket_id=ticket.pk,
        user=ticket.technician,
        expected_version=version(ticket.pk),
        repair=FactoryRepair("更换主板", Decimal("2"), "主板", "合格", supervisor),
    )
    with pytest.raises(UserError, match="运单号"):
        ship_back(
            ticket_id=ticket.pk, user=dispatcher, expected_version=version(ticket.pk), tracking_number=" "
        )
    entry = ship_back(
        ticket_id=ticket.pk,
        user=dispatcher,
        expected_version=version(ticket.pk),
        tracking_number="SF1234567890",
    )
    entry.receipt.refresh_from_db()
    assert (entry.out_kind, entry.tracking_number) == ("shipped_back", "SF1234567890")
    assert entry.receipt.is_void and "SF1234567890" in entry.receipt.void_reason


@pytest.mark.django_db
def test_finish_needs_the_inspection_and_hand_over_a_real_signature(
    branch_a, supervisor, dispatcher, persona
):
    ticket = TicketFactory(unit__owner__branch=branch_a, rma_requested=True)
    approve_return(ticket_id=ticket.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn())
    for repair, field in (
        (FactoryRepair("修好", Decimal("1"), "", "", supervisor), "inspection_note"),
        (FactoryRepair("修好", Decimal("1"), "", "合格", dispatcher), "inspector"),
        (FactoryRepair("修好", Decimal("-1"), "", "合格", supervisor), "labour_hours"),
    ):
        with pytest.raises(UserError) as error:
            finish_factory_repair(
                ticket_id=ticket.pk,
                user=ticket.technician,
                expected_version=version(ticket.pk),
                repair=repair,
            )
        assert error.value.field == field
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.IN_FACTORY
    finish_factory_repair(
        ticket_id=ticket.pk,
        user=ticket.technician,
        expected_version=version(ticket.pk),
        repair=FactoryRepair("修好", Decimal("1"), "", "合格", supervisor),
    )
    with pytest.raises(UserError, match="签名为空"):
        hand_over(
            ticket_id=ticket.pk,
            user=dispatcher,
            expected_version=version(ticket.pk),
            signer_name="张伟",
            signature_png=signature_png(ink=False),
        )
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.AWAITING_PICKUP
    assert not PickupReceipt.objects.get().is_void


@pytest.mark.django_db
def test_a_ticket_without_a_goods_in_entry_cannot_finish(branch_a, supervisor):
    ticket = TicketFactory(unit__owner__branch=branch_a, in_factory=True)  # made directly, no paperwork
    with pytest.raises(UserError, match="登记簿"):
        finish_factory_repair(
            ticket_id=ticket.pk,
            user=ticket.technician,
            expected_version=ticket.version,
            repair=FactoryRepair("修好", Decimal("1"), "", "合格", supervisor),
        )
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.IN_FACTORY


@pytest.mark.django_db
def test_the_api_runs_the_same_paperwork(branch_a, supervisor):
    ticket = TicketFactory(unit__owner__branch=branch_a, rma_requested=True)
    api = APIClient()
    api.force_authenticate(supervisor)
    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/transitions/approve_return", {"accessories": "电源线"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == State.IN_FACTORY
    assert GoodsRegisterEntry.objects.get(ticket=ticket).accessories == "电源线"


@pytest.mark.django_db
def test_outsiders_get_404_on_the_paperwork(client, branch_a, branch_b, supervisor, persona):
    ticket = TicketFactory(unit__owner__branch=branch_a, rma_requested=True)
    approve_return(ticket_id=ticket.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn())
    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert client.get(reverse("tickets:pickup_receipt_pdf", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("tickets:repair_tag_pdf", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("tickets:return_finish", args=[ticket.pk]), {}).status_code == 404


@pytest.mark.django_db
def test_a_ticket_that_never_went_to_the_factory_reads_no_goods_register(client, branch_a, dispatcher):
    """Issue #19: the page knows from its events whether goods came in (approve_return writes the entry
    with its goods_in event), so a closed repair asks nothing of the register."""
    ticket = TicketFactory(unit__owner__branch=branch_a, closed=True)
    client.force_login(dispatcher)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ticket.get_absolute_url()).status_code == 200
    assert not [query for query in captured if "tickets_goodsregisterentry" in query["sql"]]
