"""Consumption at completion, old parts back, write-off (§1-3.7.4), monthly processing (§1-3.7.5),
and supplier recovery claims (二次索赔, §1-3.8)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from aftersales.errors import UserError
from parts import ledger
from parts.models import Condition, MovementKind, OldPart, PartUsage, StockMovement, SupplierClaim
from parts.services import advance_claim, create_claim, dispose_old_part, receive_old_part, write_off
from tests.tickets.factories import TicketFactory
from tickets.models import ServiceReportPart, State
from tickets.services import apply_transition


def complete_visit(ticket, *lines):
    """The signed report gets `lines` (code, quantity, old part returnable) and the visit completes."""
    report = ticket.reports.get()
    for code, quantity, returnable in lines:
        ServiceReportPart.objects.create(
            report=report,
            part_code=code,
            part_name=f"{code} 配件",
            quantity=quantity,
            removed_serial="OLD-1" if returnable else "",
            old_part_returnable=returnable,
        )
    return apply_transition(
        ticket_id=ticket.pk,
        user=ticket.technician,
        name="complete_visit",
        expected_version=None,
        note="更换压缩机",
    )


def accept(ticket, supervisor):
    """验收: the leader's agreement to the signed report (§1-3.6.2)."""
    return apply_transition(ticket_id=ticket.pk, user=supervisor, name="accept", expected_version=None)


@pytest.fixture
def ticket(branch_a, technician):
    return TicketFactory(
        unit__owner__branch=branch_a, on_site=True, technician=technician, signed_report=True
    )


@pytest.mark.django_db
class TestConsumption:
    def test_report_parts_leave_the_van_when_the_visit_completes(self, ticket, part, van, stock):
        stock(part, van, 2)
        completed = complete_visit(ticket, ("CMP-35", 1, False))
        assert completed.state == State.AWAITING_ACCEPTANCE
        usage = PartUsage.objects.get()
        assert (usage.status, usage.warehouse, usage.part) == (PartUsage.Status.CONSUMED, van, part)
        assert ledger.on_hand(part, van) == 1
        assert (
            StockMovement.objects.filter(kind=MovementKind.CONSUMPTION, reference=ticket.number).count() == 1
        )
        assert usage.written_off_at is None  # the leader has not agreed yet (§1-3.6.2)

    def test_without_an_old_part_the_supervisors_acceptance_writes_the_part_off(
        self, ticket, part, van, stock, supervisor
    ):
        stock(part, van, 1)
        complete_visit(ticket, ("CMP-35", 1, False))
        accept(ticket, supervisor)
        assert PartUsage.objects.get().written_off_at is not None

    def test_an_unknown_code_or_an_empty_van_never_stops_the_visit_and_waits_for_the_warehouse(
        self, ticket, part, van
    ):
        completed = complete_visit(ticket, ("CMP-35", 1, False), ("XX-404", 1, False))
        assert completed.state == State.AWAITING_ACCEPTANCE
        problems = dict(PartUsage.objects.values_list("report_part__part_code", "problem"))
        assert problems["CMP-35"] == "库存不足:配件 CMP-35 压缩机 在 李强车载库 仅剩 0 件。"
        assert problems["XX-404"] == "配件编号 XX-404 不在配件目录中。"
        assert not PartUsage.objects.filter(written_off_at__isnull=False).exists()

    def test_the_keeper_settles_an_outstanding_line_from_the_store(
        self, ticket, part, van, store, keeper, stock
    ):
        from parts.services import resolve_usage

        stock(part, store, 3)
        complete_visit(ticket, ("CMP-35", 1, False))
        usage = PartUsage.objects.get()
        resolve_usage(usage_id=usage.pk, user=keeper, warehouse=store, part=None)
        usage.refresh_from_db()
        assert usage.status == PartUsage.Status.CONSUMED and ledger.on_hand(part, store) == 2


@pytest.mark.django_db
class TestWriteOff:
    def test_a_warranty_part_is_written_off_only_with_the_acceptance_and_its_old_part_back(
        self, ticket, part, van, store, keeper, stock, supervisor
    ):
        stock(part, van, 1)
        complete_visit(ticket, ("CMP-35", 1, True))
        usage = PartUsage.objects.get()
        old_part = OldPart.objects.get()
        assert old_part.state == OldPart.State.EXPECTED and old_part.technician == ticket.technician
        with pytest.raises(UserError, match="不能销帐:工单尚未经服务主任验收。旧件尚未返库。"):
            write_off(usage_id=usage.pk, user=keeper)
        accept(ticket, supervisor)
        usage.refresh_from_db()
        assert usage.written_off_at is None
        with pytest.raises(UserError, match="不能销帐:旧件尚未返库。"):
            write_off(usage_id=usage.pk, user=keeper)

        receive_old_part(old_part_id=old_part.pk, user=keeper, warehouse=store)
        usage.refresh_from_db()
        assert usage.written_off_at is not None
        assert ledger.on_hand(part, store, Condition.OLD) == 1  # an old part, never counted as usable stock
        assert ledger.on_hand(part, store) == 0
        with pytest.raises(UserError, match="已销帐"):
            write_off(usage_id=usage.pk, user=keeper)

    def test_the_technician_sees_the_old_part_outstanding_until_it_is_back(
        self, client, ticket, part, van, store, keeper, stock
    ):
        stock(part, van, 1)
        complete_visit(ticket, ("CMP-35", 1, True))
        client.force_login(ticket.technician)
        page = client.get(reverse("parts:my_old_parts")).content.decode()
        assert ticket.number in page and 'class="touch"' in page
        assert "工单尚未经服务主任验收。" in page and "旧件尚未返库。" in page
        client.force_login(keeper)
        response = client.post(
            reverse("parts:old_part_receive", args=[OldPart.objects.get().pk]),
            {"warehouse": store.pk},
            follow=True,
        )
        assert "旧件已入库" in response.content.decode()
        client.force_login(ticket.technician)
        assert "没有待返的旧件" in client.get(reverse("parts:my_old_parts")).content.decode()


def received_old_part(ticket, part, van, store, keeper, stock, *, at=None):
    stock(part, van, 1)
    complete_visit(ticket, (part.code, 1, True))
    old_part = receive_old_part(
        old_part_id=OldPart.objects.get(usage__ticket=ticket).pk, user=keeper, warehouse=store
    )
    if at:
        OldPart.objects.filter(pk=old_part.pk).update(received_at=at)
    return old_part


@pytest.mark.django_db
class TestMonthlyProcessing:
    def test_the_month_lists_its_old_parts_and_their_disposition(
        self, client, ticket, part, van, store, keeper, stock, branch_a, technician
    ):
        this_month = received_old_part(ticket, part, van, store, keeper, stock)
        earlier = TicketFactory(
            unit__owner__branch=branch_a, on_site=True, technician=technician, signed_report=True
        )
        last_month = received_old_part(
            earlier, part, van, store, keeper, stock, at=timezone.now() - datetime.timedelta(days=62)
        )
        dispose_old_part(
            old_part_id=this_month.pk, user=keeper, disposition=OldPart.State.SCRAPPED, note="烧毁"
        )
        assert ledger.on_hand(part, store, Condition.OLD) == 1
        client.force_login(keeper)
        month = timezone.localdate().strftime("%Y-%m")
        page = client.get(reverse("parts:old_parts_monthly"), {"month": month}).content.decode()
        assert ticket.number in page and "已报废" in page and "烧毁" in page
        assert earlier.number not in page
        pdf = client.get(reverse("parts:old_parts_monthly_pdf"), {"month": month})
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert last_month.state == OldPart.State.RECEIVED

    def test_an_old_part_is_disposed_once(self, ticket, part, van, store, keeper, stock):
        old_part = received_old_part(ticket, part, van, store, keeper, stock)
        dispose_old_part(old_part_id=old_part.pk, user=keeper, disposition=OldPart.State.RETURNED)
        with pytest.raises(UserError, match="只有已入库的旧件可以处理"):
            dispose_old_part(old_part_id=old_part.pk, user=keeper, disposition=OldPart.State.SCRAPPED)


@pytest.mark.django_db
class TestSupplierClaim:
    def test_a_claim_goes_from_draft_to_paid_and_shows_in_the_recovery_rate(
        self, client, ticket, part, van, store, keeper, stock
    ):
        old_part = received_old_part(ticket, part, van, store, keeper, stock)
        claim = create_claim(
            user=keeper,
            supplier=part.supplier,
            old_part_ids=[old_part.pk],
            labour_cost=Decimal("100.00"),
            shipping_cost=Decimal("50.00"),
        )
        assert claim.state == SupplierClaim.State.DRAFT and claim.parts_cost == Decimal("850.00")
        assert claim.total == Decimal("1000.00")
        with pytest.raises(UserError, match="不能执行该操作"):
            advance_claim(claim_id=claim.pk, user=keeper, step="pay", amount=Decimal("1"))
        advance_claim(claim_id=claim.pk, user=keeper, step="send")
        advance_claim(claim_id=claim.pk, user=keeper, step="accept")
        with pytest.raises(UserError, match="不能超过索赔总额"):
            advance_claim(claim_id=claim.pk, user=keeper, step="pay", amount=Decimal("1000.01"))
        paid = advance_claim(claim_id=claim.pk, user=keeper, step="pay", amount=Decimal("800.00"))
        assert (paid.state, paid.amount_recovered) == (SupplierClaim.State.PAID, Decimal("800.00"))
        assert paid.sent_at and paid.decided_at and paid.paid_at
        client.force_login(keeper)
        report = client.get(reverse("parts:recovery_report")).content.decode()
        assert "¥1,000.00" in report and "¥800.00" in report and "80.0%" in report

    def test_a_claim_takes_only_received_old_parts_of_that_supplier_once(
        self, ticket, part, van, store, keeper, stock, technician
    ):
        from tests.parts.factories import SupplierFactory

        old_part = received_old_part(ticket, part, van, store, keeper, stock)
        with pytest.raises(UserError, match="不是该供应商的配件"):
            create_claim(user=keeper, supplier=SupplierFactory(), old_part_ids=[old_part.pk])
        create_claim(user=keeper, supplier=part.supplier, old_part_ids=[old_part.pk])
        with pytest.raises(UserError, match="已在其他索赔单中"):
            create_claim(user=keeper, supplier=part.supplier, old_part_ids=[old_part.pk])

    def test_a_technician_cannot_run_claims(self, technician, part):
        with pytest.raises(PermissionDenied):
            create_claim(user=technician, supplier=part.supplier, old_part_ids=[])
