"""移交: a leaving technician's open work goes to named successors under the supervisor's signature;
the account cannot be deactivated while anything is left on it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Role
from aftersales.errors import UserError
from parts import ledger
from parts.handover import deactivate, deactivation_refusal, open_items, perform_handover
from parts.models import Handover, HandoverItem, MovementKind, OldPart, StockMovement
from parts.services import receive_old_part, submit_requisition
from tests.parts.factories import WarehouseFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, TicketEvent


@pytest.fixture
def successor(persona, branch_a):
    user = persona(Role.TECHNICIAN, username="successor")
    WarehouseFactory(code="VAN-SUCC", branch=branch_a, kind="van", technician=user)
    return user


@pytest.fixture
def leaver_with_work(branch_a, technician, van, store, part, stock):
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
    stock(part, van, 3)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="备用"
    )
    return ticket, requisition


@pytest.mark.django_db
class TestHandover:
    def test_every_item_goes_to_its_successor_with_history_and_ledger_rows(
        self, leaver_with_work, technician, successor, supervisor, van, part
    ):
        ticket, requisition = leaver_with_work
        items = open_items(technician)
        assert {item.kind for item in items} == {"ticket", "stock", "requisition"}
        handover = perform_handover(
            technician=technician,
            supervisor=supervisor,
            reason="离职",
            successors={item.key: successor for item in items},
        )
        ticket.refresh_from_db()
        requisition.refresh_from_db()
        assert ticket.technician == successor and requisition.technician == successor
        event = TicketEvent.objects.get(ticket=ticket)
        assert event.actor == supervisor and handover.number in event.note
        assert ledger.on_hand(part, van) == 0
        assert (
            StockMovement.objects.filter(kind=MovementKind.TRANSFER, reference=handover.number).count() == 2
        )
        assert handover.signed_by == supervisor and handover.items.count() == 3
        assert open_items(technician) == []

    def test_an_item_without_successor_refuses_the_whole_handover(
        self, leaver_with_work, technician, successor, supervisor
    ):
        items = open_items(technician)
        with pytest.raises(UserError, match="还有 1 项未指定接替人"):
            perform_handover(
                technician=technician,
                supervisor=supervisor,
                reason="调岗",
                successors={item.key: successor for item in items[:-1]},
            )
        assert RepairTicket.objects.get(pk=leaver_with_work[0].pk).technician == technician
        assert not HandoverItem.objects.exists()

    def test_only_a_supervisor_of_the_branch_signs(self, leaver_with_work, technician, persona, successor):
        with pytest.raises(PermissionDenied, match="只有服务主任可以监交"):
            perform_handover(
                technician=technician, supervisor=persona(Role.DISPATCHER), reason="x", successors={}
            )

    def test_the_account_cannot_be_deactivated_while_something_is_left(
        self, leaver_with_work, technician, successor, supervisor, client
    ):
        assert "还有 3 项未移交" in deactivation_refusal(technician)
        with pytest.raises(UserError, match="请先办理移交手续"):
            deactivate(user=technician, by=supervisor)
        technician.refresh_from_db()
        assert technician.is_active
        handover = perform_handover(
            technician=technician,
            supervisor=supervisor,
            reason="离职",
            successors={item.key: successor for item in open_items(technician)},
        )
        client.force_login(supervisor)
        response = client.post(reverse("parts:handover", args=[handover.pk]), follow=True)
        assert "已停用" in response.content.decode()
        technician.refresh_from_db()
        assert not technician.is_active

    def test_the_supervisor_fills_the_handover_list_on_the_page_and_prints_it(
        self, client, leaver_with_work, technician, successor, supervisor
    ):
        client.force_login(supervisor)
        url = reverse("parts:handover_start")
        page = client.get(url, {"technician": technician.pk}).content.decode()
        assert leaver_with_work[0].number in page and leaver_with_work[1].number in page
        response = client.post(
            url, {"technician": technician.pk, "reason": "离职", "successor-all": successor.pk}, follow=True
        )
        assert "移交已完成" in response.content.decode()
        pdf = client.get(reverse("parts:handover_pdf", args=[Handover.objects.get().pk]))
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    def test_an_outstanding_old_part_follows_the_successor(
        self, branch_a, technician, successor, supervisor, keeper, store, van, part, stock
    ):
        from tests.parts.test_old_parts import complete_visit

        ticket = TicketFactory(
            unit__owner__branch=branch_a, on_site=True, technician=technician, signed_report=True
        )
        stock(part, van, 1)
        complete_visit(ticket, ("CMP-35", 1, True))
        items = open_items(technician)
        assert [item.kind for item in items] == ["old_part"]
        perform_handover(
            technician=technician, supervisor=supervisor, reason="离职", successors={items[0].key: successor}
        )
        old_part = OldPart.objects.get()
        assert old_part.technician == successor
        receive_old_part(old_part_id=old_part.pk, user=keeper, warehouse=store)


@pytest.mark.django_db
def test_the_admin_refuses_to_deactivate_a_user_with_open_items(
    client, leaver_with_work, technician, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[technician.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {"groups": [g.pk for g in technician.groups.all()], "branch": technician.branch_id, "is_active": ""}
    )
    data["date_joined_0"], data["date_joined_1"] = technician.date_joined.strftime("%Y-%m-%d"), "00:00:00"
    data["last_login_0"] = data["last_login_1"] = ""
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("user_permissions", None)
    response = client.post(url, data)
    assert "请先办理移交手续" in response.content.decode()
    technician.refresh_from_db()
    assert technician.is_active
