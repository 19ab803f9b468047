"""备用件领料单: asked by the ticket's technician, approved by a supervisor (never by the requester),
issued by the warehouse (partially if need be), unused parts returned."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Role
from aftersales.errors import UserError
from parts import ledger
from parts.approvals import requisitions_awaiting
from parts.models import MovementKind, Requisition
from parts.services import (
    close_requisition,
    decide_requisition,
    issue_requisition,
    return_unused,
    submit_requisition,
)
from tests.accounts.factories import UserFactory
from tests.parts.factories import PartFactory
from tests.tickets.factories import TicketFactory


@pytest.fixture
def ticket(branch_a, technician):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)


@pytest.fixture
def requisition(ticket, store, part):
    return submit_requisition(
        user=ticket.technician, ticket=ticket, warehouse=store, lines=[(part, 2)], reason="压缩机不启动"
    )


@pytest.mark.django_db
class TestApproval:
    def test_a_supervisor_of_the_branch_approves_and_the_technician_is_told(self, requisition, supervisor):
        from notifications.models import Notification

        decided = decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
        assert decided.state == Requisition.State.APPROVED and decided.decided_by == supervisor
        assert Notification.objects.filter(
            recipient=requisition.technician, subject__contains="已批准"
        ).exists()

    def test_no_one_approves_their_own_requisition_even_a_supervisor_technician(self, branch_a, store, part):
        both = UserFactory(
            username="tech_and_supervisor", branch=branch_a, roles=[Role.TECHNICIAN, Role.SUPERVISOR]
        )
        ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=both)
        own = submit_requisition(user=both, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="自用")
        with pytest.raises(PermissionDenied, match="不能审批自己提交的领料单"):
            decide_requisition(requisition_id=own.pk, user=both, approve=True)
        assert requisitions_awaiting(both).count() == 0
        own.refresh_from_db()
        assert own.state == Requisition.State.SUBMITTED

    @pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.DISPATCHER, Role.MANAGER, Role.TECHNICIAN])
    def test_only_supervisors_approve(self, requisition, persona, role):
        with pytest.raises(PermissionDenied, match="只有服务主任可以审批领料单"):
            decide_requisition(
                requisition_id=requisition.pk, user=persona(role, username=f"other_{role}"), approve=True
            )

    def test_a_supervisor_of_another_branch_cannot_decide(self, requisition, persona, branch_b):
        with pytest.raises(PermissionDenied, match="不属于您的网点"):
            decide_requisition(
                requisition_id=requisition.pk, user=persona(Role.SUPERVISOR, branch_b), approve=True
            )

    def test_a_rejection_needs_a_reason_and_a_decided_requisition_is_not_decided_again(
        self, requisition, supervisor
    ):
        with pytest.raises(UserError, match="驳回时请填写原因"):
            decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=False)
        decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=False, note="型号不符")
        with pytest.raises(UserError, match="不能再审批"):
            decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)

    def test_the_inbox_lists_what_this_supervisor_may_approve_oldest_first(
        self, requisition, ticket, store, part, supervisor, persona, branch_b
    ):
        second = submit_requisition(
            user=ticket.technician, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="再领"
        )
        rows = list(requisitions_awaiting(supervisor))
        assert rows == [requisition, second]
        assert rows[0].get_absolute_url() == reverse("parts:requisition", args=[requisition.pk])
        assert list(requisitions_awaiting(persona(Role.SUPERVISOR, branch_b))) == []
        assert list(requisitions_awaiting(persona(Role.WAREHOUSE))) == []

    def test_only_the_tickets_technician_may_ask(self, ticket, store, part, persona):
        with pytest.raises(PermissionDenied, match="只有该工单的技术员"):
            submit_requisition(
                user=persona(Role.TECHNICIAN, username="t2"),
                ticket=ticket,
                warehouse=store,
                lines=[(part, 1)],
                reason="x",
            )


@pytest.mark.django_db
class TestIssueAndReturn:
    @pytest.fixture
    def approved(self, requisition, supervisor):
        return decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)

    def test_a_partial_issue_then_the_rest_then_unused_parts_back(
        self, approved, part, store, van, keeper, stock
    ):
        line = approved.lines.get()
        stock(part, store, 1)
        issued = issue_requisition(requisition_id=approved.pk, user=keeper, quantities={line.pk: 1})
        assert issued.state == Requisition.State.PARTIALLY_ISSUED
        assert (ledger.on_hand(part, store), ledger.on_hand(part, van)) == (0, 1)
        with pytest.raises(ledger.InsufficientStock, match="仅剩 0 件"):
            issue_requisition(requisition_id=approved.pk, user=keeper, quantities={line.pk: 1})
        stock(part, store, 5)
        assert (
            issue_requisition(requisition_id=approved.pk, user=keeper, quantities={line.pk: 1}).state
            == "issued"
        )
        return_unused(requisition_id=approved.pk, user=keeper, quantities={line.pk: 1})
        assert (ledger.on_hand(part, store), ledger.on_hand(part, van)) == (5, 1)
        line.refresh_from_db()
        assert (line.issued, line.returned) == (2, 1)
        kinds = list(approved.warehouse.movements.order_by("pk").values_list("kind", "quantity"))
        assert kinds[-1] == (MovementKind.RETURN_UNUSED, 1)
        assert close_requisition(requisition_id=approved.pk, user=keeper).state == Requisition.State.CLOSED

    def test_more_than_asked_or_before_approval_is_refused(
        self, requisition, supervisor, keeper, part, store, van, stock
    ):
        stock(part, store, 10)
        line = requisition.lines.get()
        with pytest.raises(UserError, match="不能发放"):
            issue_requisition(requisition_id=requisition.pk, user=keeper, quantities={line.pk: 1})
        decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
        with pytest.raises(UserError, match="最多还可发放 2 件"):
            issue_requisition(requisition_id=requisition.pk, user=keeper, quantities={line.pk: 3})

    def test_only_a_keeper_of_the_branch_issues(self, approved, persona, branch_b, part, store, van, stock):
        stock(part, store, 10)
        line = approved.lines.get()
        with pytest.raises(PermissionDenied, match="只有库管"):
            issue_requisition(
                requisition_id=approved.pk,
                user=persona(Role.SUPERVISOR, username="sup2"),
                quantities={line.pk: 1},
            )
        with pytest.raises(PermissionDenied, match="不属于您的网点"):
            issue_requisition(
                requisition_id=approved.pk, user=persona(Role.WAREHOUSE, branch_b), quantities={line.pk: 1}
            )

    def test_a_technician_without_a_van_cannot_be_issued_to(self, approved, keeper, part, store, stock):
        stock(part, store, 10)
        with pytest.raises(UserError, match="没有车载库"):
            issue_requisition(
                requisition_id=approved.pk, user=keeper, quantities={approved.lines.get().pk: 1}
            )


@pytest.mark.django_db
class TestScreens:
    def test_the_technician_asks_on_the_tablet_and_the_supervisor_approves_on_the_page(
        self, client, ticket, store, part, supervisor
    ):
        client.force_login(ticket.technician)
        url = reverse("parts:requisition_new", args=[ticket.pk])
        page = client.get(url)
        assert 'class="touch"' in page.content.decode()
        data = {
            "warehouse": store.pk,
            "reason": "压缩机不启动",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part": "cmp-35",
            "lines-0-quantity": "1",
            "lines-1-part": "NOPE-1",
            "lines-1-quantity": "1",
        }
        refused = client.post(url, data)
        assert "配件编号 NOPE-1 不在配件目录中" in refused.content.decode()
        assert not Requisition.objects.exists()
        data["lines-1-part"] = data["lines-1-quantity"] = ""
        response = client.post(url, data, follow=True)
        requisition = Requisition.objects.get()
        assert f"领料单 {requisition.number} 已提交" in response.content.decode()
        client.force_login(supervisor)
        response = client.post(
            reverse("parts:requisition_decide", args=[requisition.pk]), {"decision": "approve"}, follow=True
        )
        assert "已批准领料单" in response.content.decode()

    def test_the_requester_sees_no_approve_button_and_an_outsider_gets_404(
        self, client, requisition, persona, branch_b
    ):
        client.force_login(requisition.technician)
        assert 'data-testid="approve"' not in client.get(requisition.get_absolute_url()).content.decode()
        client.force_login(persona(Role.SUPERVISOR, branch_b))
        assert client.get(requisition.get_absolute_url()).status_code == 404

    def test_the_list_runs_the_same_queries_for_few_and_many_rows(self, client, ticket, store, supervisor):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(supervisor)

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("parts:requisitions")).status_code == 200
            return len(captured)

        for index in range(2):
            submit_requisition(
                user=ticket.technician,
                ticket=ticket,
                warehouse=store,
                lines=[(PartFactory(), 1)],
                reason=f"r{index}",
            )
        few = count()
        for index in range(20):
            submit_requisition(
                user=ticket.technician,
                ticket=ticket,
                warehouse=store,
                lines=[(PartFactory(), 1)],
                reason=f"m{index}",
            )
        assert count() == few


@pytest.mark.django_db
def test_the_keeper_finds_what_to_issue_and_prints_the_requisition(
    client, requisition, supervisor, keeper, ticket, store, part
):
    decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
    waiting = submit_requisition(
        user=ticket.technician, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="备用"
    )
    client.force_login(keeper)
    page = client.get(reverse("parts:requisitions"), {"state": "to_issue"}).content.decode()
    assert requisition.number in page and waiting.number not in page
    pdf = client.get(reverse("parts:requisition_pdf", args=[requisition.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_approver_sees_stock_price_and_the_tickets_unit(
    client, requisition, supervisor, keeper, part, store, stock
):
    """Issue #16: the supervisor decides knowing whether the store can cover it, what it is worth and
    for which product; the shortfall is marked."""
    part.market_price = "1250.00"
    part.save(update_fields=["market_price"])
    stock(part, store, 1)
    client.force_login(supervisor)
    page = client.get(reverse("parts:requisition", args=[requisition.pk])).content.decode()
    unit = requisition.ticket.unit
    assert unit.serial_number in page and unit.product_model.name in page
    row = page[page.index("CMP-35") : page.index("</tr>", page.index("CMP-35"))]
    assert 'text-danger fw-semibold">1</td>' in row  # 1 on hand for 2 asked
    assert "¥1,250.00" in row and "¥2,500.00" in row
    assert 'data-testid="requisition-total">¥2,500.00' in page
    client.force_login(keeper)  # the keeper issues, and does not see the approver's columns
    assert (
        "requisition-total"
        not in client.get(reverse("parts:requisition", args=[requisition.pk])).content.decode()
    )
