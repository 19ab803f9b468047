"""Keeper screens (receive, warehouses, counts), technician pages, scoping and constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from parts import ledger
from parts.models import ReceivingNote
from parts.services import ReceiptLine, receive_parts
from tests.parts.factories import PartFactory, WarehouseFactory


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
class TestReceiving:
    def test_the_keeper_receives_lines_into_the_store_and_prints_two_copies(
        self, client, keeper, store, part
    ):
        client.force_login(keeper)
        url = reverse("parts:receive")
        assert "part-codes" in client.get(url).content.decode()
        data = {
            "warehouse": store.pk,
            "delivery_reference": "LD-118",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part": "CMP-35",
            "lines-0-quantity": "4",
            "lines-0-unit_cost": "800.00",
        }
        response = client.post(url, data, follow=True)
        note = ReceivingNote.objects.get()
        assert f"接收单号 {note.number}" in response.content.decode()
        assert note.number.startswith("SH-JS-")
        assert ledger.on_hand(part, store) == 4
        pdf = client.get(reverse("parts:receiving_note_pdf", args=[note.pk]))
        assert pdf["Content-Type"] == "application/pdf"
        import io

        from pypdf import PdfReader  # noqa: PLC0415 - only this test reads PDFs

        assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2

    def test_a_line_without_quantity_names_the_field(self, client, keeper, store, part):
        client.force_login(keeper)
        data = {
            "warehouse": store.pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part": "CMP-35",
        }
        page = client.post(reverse("parts:receive"), data).content.decode()
        assert "请填写数量" in page and not ReceivingNote.objects.exists()

    def test_others_may_not_receive(self, client, technician):
        client.force_login(technician)
        assert client.get(reverse("parts:receive")).status_code == 403


@pytest.mark.django_db
class TestScoping:
    def test_a_warehouse_of_another_branch_is_not_found(self, client, persona, branch_b, store):
        client.force_login(persona(Role.WAREHOUSE, branch_b))
        assert client.get(reverse("parts:warehouse", args=[store.pk])).status_code == 404

    def test_a_technician_sees_only_their_van(self, client, technician, van, store):
        client.force_login(technician)
        assert client.get(reverse("parts:warehouse", args=[store.pk])).status_code == 404
        assert client.get(reverse("parts:warehouse", args=[van.pk])).status_code == 200


@pytest.mark.django_db
class TestTechnicianPages:
    def test_my_van_lists_what_is_on_board_on_a_touch_page(self, client, technician, van, part, stock):
        stock(part, van, 3)
        client.force_login(technician)
        page = client.get(reverse("parts:my_van")).content.decode()
        assert 'class="touch"' in page and "CMP-35" in page and "3 台" in page
        assert client.get(reverse("parts:home")).url == reverse("parts:my_van")

    def test_the_report_parts_step_offers_the_van_and_warns_about_a_line_it_cannot_cover(
        self, client, branch_a, technician, van, part, stock
    ):
        from tests.tickets.factories import ServiceReportFactory, TicketFactory
        from tickets.models import ServiceReportPart

        stock(part, van, 1)
        ticket = TicketFactory(
            unit__owner__branch=branch_a, on_site=True, technician=technician, visit_count=1
        )
        report = ServiceReportFactory(ticket=ticket)
        ServiceReportPart.objects.create(report=report, part_code="CMP-35", part_name="压缩机", quantity=2)
        client.force_login(technician)
        page = client.get(reverse("tickets:report", args=[ticket.pk]) + "?step=4").content.decode()
        assert 'list="van-parts"' in page and "压缩机 · 车载库存 1 台" in page
        assert "车载库存只有 1 件" in page


@pytest.mark.django_db
class TestListQueries:
    @pytest.mark.parametrize(
        "name",
        ["parts:catalogue", "parts:warehouses", "parts:receiving_list", "parts:old_parts", "parts:claims"],
    )
    def test_a_list_runs_the_same_queries_for_few_and_many_rows(self, client, keeper, store, branch_a, name):
        client.force_login(keeper)
        url = reverse(name)

        def add_rows(count):
            for _ in range(count):
                part = PartFactory()
                WarehouseFactory(branch=branch_a)
                receive_parts(user=keeper, warehouse=store, lines=[ReceiptLine(part, 1)])

        add_rows(2)
        few = query_count(client, url)
        add_rows(15)
        assert query_count(client, url) == few


@pytest.mark.django_db
def test_the_parts_pages_read_in_english(client, technician, van):
    client.force_login(technician)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("parts:my_van")).content.decode()
    assert "My van stock" in page and "我的车载库存" not in page
    page = client.get(reverse("parts:requisitions")).content.decode()
    assert "My requisitions" in page and "我的领料单" not in page


@pytest.mark.django_db
def test_the_technician_asks_for_parts_from_the_list_of_their_jobs(client, branch_a, technician):
    from tests.tickets.factories import TicketFactory

    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)
    client.force_login(technician)
    page = client.get(reverse("parts:requisitions")).content.decode()
    assert reverse("parts:requisition_new", args=[ticket.pk]) in page


def _completed_visits_with_old_parts(count, *, branch, technician, van, store, keeper, stock, receive):
    from parts.models import OldPart
    from parts.services import receive_old_part
    from tests.parts.test_old_parts import complete_visit
    from tests.tickets.factories import TicketFactory

    for _ in range(count):
        part = PartFactory()
        stock(part, van, 1)
        ticket = TicketFactory(
            unit__owner__branch=branch, on_site=True, technician=technician, signed_report=True
        )
        complete_visit(ticket, (part.code, 1, True), ("UNKNOWN-1", 1, False))
        if receive:
            old_part = OldPart.objects.get(usage__ticket=ticket)
            receive_old_part(old_part_id=old_part.pk, user=keeper, warehouse=store)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["parts:old_parts", "parts:old_parts_monthly", "parts:usages_outstanding", "parts:my_old_parts"]
)
def test_old_part_lists_run_the_same_queries_for_few_and_many_rows(
    client, keeper, branch_a, technician, van, store, stock, name
):
    viewer = technician if name == "parts:my_old_parts" else keeper
    build = dict(branch=branch_a, technician=technician, van=van, store=store, keeper=keeper, stock=stock)
    receive = name == "parts:old_parts_monthly"
    _completed_visits_with_old_parts(2, receive=receive, **build)
    client.force_login(viewer)
    few = query_count(client, reverse(name))
    _completed_visits_with_old_parts(6, receive=receive, **build)
    client.force_login(viewer)
    assert query_count(client, reverse(name)) == few
    if viewer == keeper and name != "parts:old_parts_monthly":
        assert (
            f'<option value="{store.pk}">{store.name}</option>' in client.get(reverse(name)).content.decode()
        )


@pytest.mark.django_db
def test_backorder_and_postage_lists_run_the_same_queries_for_few_and_many_rows(
    client, persona, branch_a, part, supervisor
):
    from decimal import Decimal

    from django.utils import timezone

    from parts.services import record_postage, register_backorder
    from tests.customers.factories import CustomerFactory

    dispatcher = persona(Role.DISPATCHER)

    def add(count):
        for _ in range(count):
            register_backorder(
                user=dispatcher, customer=CustomerFactory(branch=branch_a), part=part, quantity=1
            )
            record_postage(
                user=supervisor,
                description="旧件",
                carrier="顺丰",
                amount=Decimal("9"),
                shipped_on=timezone.localdate(),
            )

    client.force_login(dispatcher)
    add(2)
    few = [query_count(client, reverse(name)) for name in ("parts:backorders", "parts:postage")]
    add(12)
    assert [query_count(client, reverse(name)) for name in ("parts:backorders", "parts:postage")] == few


@pytest.mark.django_db
def test_documents_of_another_branch_are_not_found(client, persona, branch_b, keeper, store, part):
    from decimal import Decimal

    note = receive_parts(user=keeper, warehouse=store, lines=[ReceiptLine(part, 1)])
    client.force_login(persona(Role.WAREHOUSE, branch_b))
    assert client.get(reverse("parts:receiving_note", args=[note.pk])).status_code == 404
    assert client.get(reverse("parts:receiving_note_pdf", args=[note.pk])).status_code == 404
    from parts.models import SupplierClaim

    claim = SupplierClaim.objects.create(
        number="SH-SP-1",
        branch=store.branch,
        supplier=part.supplier,
        created_by=keeper,
        labour_cost=Decimal(1),
    )
    assert client.get(reverse("parts:claim", args=[claim.pk])).status_code == 404


@pytest.mark.django_db
def test_a_dispatcher_reaches_backorders_from_the_menu_and_may_not_issue(client, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:list")).content.decode()
    assert reverse("parts:backorders") in page
    assert client.get(reverse("parts:receive")).status_code == 403
