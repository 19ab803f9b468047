"""The technician's parts pages on the tablet and a phone: my van, my requisitions (asking for parts
for a ticket), my outstanding old parts; every tap target at least 44 px, no sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parts import ledger
from parts.models import MovementKind, Requisition
from tests.accounts.factories import UserFactory
from tests.browser.support import TABLET, assert_no_horizontal_scroll, log_in
from tests.browser.test_touch_targets import PHONE, assert_touch_targets_large_enough
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", [TABLET, PHONE], ids=["tablet-1024", "phone-375"])
def test_the_technician_checks_the_van_and_asks_for_parts(open_page, people, branch_a, device):
    _dispatcher, technician = people
    keeper = UserFactory(username="zhaolei", branch=branch_a, roles=["warehouse"])
    store = WarehouseFactory(code="SH-STORE", name="上海服务中心仓库", branch=branch_a)
    van = WarehouseFactory(
        code="VAN-LQ", name="李强车载库", branch=branch_a, kind="van", technician=technician
    )
    capacitor = PartFactory(code="CAP-35UF", name="启动电容 35μF", unit="个")
    PartFactory(code="CMP-35", name="压缩机")
    ledger.move([ledger.Change(capacitor, van, 3)], kind=MovementKind.RECEIPT, actor=keeper, reference="期初")
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)

    page = open_page(**device)
    log_in(page, technician.username)
    page.goto("/parts/my/van/")
    expect(page.get_by_test_id("van-stock")).to_contain_text("CAP-35UF")
    expect(page.get_by_test_id("van-stock")).to_contain_text("3 个")
    assert_touch_targets_large_enough(page)
    assert_no_horizontal_scroll(page)

    page.goto(f"/parts/requisitions/new/{ticket.pk}/")
    page.get_by_label("处理意见").fill("压缩机启动困难,需更换")
    page.locator("#id_lines-0-part").fill("CMP-35")
    page.locator("#id_lines-0-quantity").fill("1")
    assert_touch_targets_large_enough(page)
    page.get_by_role("button", name="提交领料单").click()
    requisition = Requisition.objects.get()
    expect(page.locator("#messages")).to_contain_text(f"领料单 {requisition.number} 已提交")
    assert store.pk == requisition.warehouse_id

    page.goto("/parts/requisitions/")
    expect(page.get_by_test_id(f"requisition-{requisition.number}")).to_contain_text("待审批")
    assert_touch_targets_large_enough(page)
    assert_no_horizontal_scroll(page)

    page.goto("/parts/my/old-parts/")
    expect(page.get_by_test_id("my-old-parts")).to_contain_text("没有待返的旧件")
    assert_touch_targets_large_enough(page)
    assert_no_horizontal_scroll(page)
