"""The warehouse keeper's day on a desktop: receive a delivery (备用件接收单), issue an approved
requisition partly, see what is left to issue."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parts import ledger
from parts.models import ReceivingNote, Requisition
from parts.services import decide_requisition, submit_requisition
from tests.accounts.factories import UserFactory
from tests.browser.support import log_in
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.browser


def test_the_keeper_receives_then_issues_what_there_is(open_page, people, branch_a):
    _dispatcher, technician = people
    keeper = UserFactory(
        username="zhaolei", last_name="赵", first_name="磊", branch=branch_a, roles=["warehouse"]
    )
    supervisor = UserFactory(username="zhangjg", branch=branch_a, roles=["supervisor"])
    store = WarehouseFactory(code="SH-STORE", name="上海服务中心仓库", branch=branch_a)
    van = WarehouseFactory(
        code="VAN-LQ", name="李强车载库", branch=branch_a, kind="van", technician=technician
    )
    compressor = PartFactory(code="CMP-35", name="压缩机")
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(compressor, 3)], reason="压缩机卡缸"
    )
    decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)

    page = open_page()
    log_in(page, keeper.username)
    page.goto("/parts/receiving/new/")
    page.get_by_label("入库仓库").select_option(label="上海服务中心仓库")
    page.get_by_label("送货单/票据号").fill("LD-20261127-01")
    page.locator("#id_lines-0-part").fill("CMP-35")
    page.locator("#id_lines-0-quantity").fill("2")
    page.get_by_role("button", name="入库并生成接收单").click()
    note = ReceivingNote.objects.get()
    expect(page.locator("#messages")).to_contain_text(f"接收单号 {note.number}")
    expect(page.get_by_test_id("receiving-lines")).to_contain_text("CMP-35")

    page.goto("/parts/requisitions/?state=to_issue")
    page.get_by_role("link", name=requisition.number).click()
    expect(page.get_by_label("本次发放 CMP-35")).to_have_value("2")  # what the store has, not the 3 asked
    page.get_by_test_id("issue").click()
    expect(page.locator("#messages")).to_contain_text("部分发放")
    assert ledger.on_hand(compressor, van) == 2 and ledger.on_hand(compressor, store) == 0
    assert Requisition.objects.get().state == Requisition.State.PARTIALLY_ISSUED
