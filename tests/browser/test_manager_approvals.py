"""A large compensation claim (§2-一-2(2)) decided from the approvals inbox on a tablet: the service
manager approves the second level, the general manager the last one, and the write-off form is there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from claims.models import Claim, ClaimStatus, WriteOff
from tests.accounts.factories import UserFactory
from tests.browser.support import TABLET, assert_no_horizontal_scroll, log_in
from tests.claims.test_claims import approve, file_claim, sh_rule
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def large_claim(reference_data, branch_a, headquarters):
    """¥8,600 for a replaced compressor in Shanghai (threshold ¥2,000), agreed and approved by the
    supervisor 赵磊; next: the manager 陈静, then the general manager 周强."""
    sh_rule(branch_a)
    dispatcher = UserFactory(
        username="wangfang", last_name="王", first_name="芳", branch=branch_a, roles=[Role.DISPATCHER]
    )
    supervisor = UserFactory(
        username="zhaolei", last_name="赵", first_name="磊", branch=branch_a, roles=[Role.SUPERVISOR]
    )
    UserFactory(username="chenjing", last_name="陈", first_name="静", branch=branch_a, roles=[Role.MANAGER])
    UserFactory(
        username="zhouqiang",
        last_name="周",
        first_name="强",
        branch=headquarters,
        roles=[Role.GENERAL_MANAGER],
    )
    UserFactory(username="finance", last_name="钱", first_name="敏", branch=branch_a, roles=[Role.FINANCE])
    ticket = TicketFactory(unit__owner__branch=branch_a, unit__owner__name="张伟", on_site=True)
    claim = file_claim(
        dispatcher, ticket, "8600.00", kind="cash", reason="压缩机批次质量问题,客户同意现金赔偿"
    )
    return approve(supervisor, claim, note="已上门鉴定,与客户达成协议")


def test_the_manager_and_the_general_manager_approve_a_large_claim_from_the_inbox(open_page, large_claim):
    number = large_claim.number

    # The service manager, on a tablet: the inbox counts one claim waiting at their level.
    manager = open_page(**TABLET)
    log_in(manager, "chenjing")
    manager.get_by_test_id("nav-money").click()  # the header's 赔偿与收费 menu
    manager.get_by_role("link", name="待我审批").click()
    expect(manager).to_have_url(re.compile(r"/warranty/approvals/$"))
    expect(manager.get_by_test_id("count-claims")).to_have_text("1")
    card = manager.get_by_test_id("inbox-claim")
    expect(card).to_contain_text(number)
    expect(card).to_contain_text("¥8,600.00")
    expect(card).to_contain_text("第 2/3 级:服务部经理")
    expect(card).to_contain_text("服务主任 赵磊 已批准")
    expect(card).to_contain_text("张伟")
    approve_button = card.get_by_role("button", name="批准", exact=True)
    assert approve_button.bounding_box()["height"] >= 44  # usable with a finger
    assert_no_horizontal_scroll(manager)

    card.get_by_label("审批意见").fill("金额核实无误,同意")
    manager.once("dialog", lambda dialog: dialog.accept())
    approve_button.click()
    expect(manager.locator("#messages")).to_contain_text(f"已批准第 2 级,赔偿申请 {number} 转总经理审批。")
    expect(manager.get_by_test_id("count-claims")).to_have_text("0")
    expect(manager.get_by_text("没有等待您审批的事项。")).to_be_visible()

    # The general manager at headquarters gives the last approval (§2-一-2(2)).
    gm = open_page(**TABLET)
    log_in(gm, "zhouqiang")
    gm.goto("/warranty/approvals/")
    gm_card = gm.get_by_test_id("inbox-claim")
    expect(gm_card).to_contain_text("第 3/3 级:总经理")
    expect(gm_card).to_contain_text("服务部经理 陈静 已批准")
    gm_card.get_by_label("审批意见").fill("同意赔偿")
    gm.once("dialog", lambda dialog: dialog.accept())
    gm_card.get_by_role("button", name="批准", exact=True).click()
    expect(gm.locator("#messages")).to_contain_text(f"赔偿申请 {number} 已批准,已生成核销申报表并通知财务。")

    claim = Claim.objects.get(pk=large_claim.pk)
    assert claim.status == ClaimStatus.APPROVED
    assert WriteOff.objects.filter(claim=claim, status="pending").exists()

    # The claim page shows the whole trail and offers the write-off form.
    gm.goto(claim.get_absolute_url())
    trail = gm.get_by_test_id("approval-trail")
    for name in ("赵磊", "陈静", "周强"):
        expect(trail).to_contain_text(name)
    expect(gm.get_by_test_id("claim-amount")).to_have_text("¥8,600.00")
    expect(gm.get_by_text("人民币捌仟陆佰元整")).to_be_visible()
    pdf = gm.request.get(gm.get_by_test_id("claim-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")


def test_the_manager_cannot_approve_before_the_supervisor(open_page, reference_data, branch_a):
    """A large claim still at the supervisor's level is not in the manager's inbox."""
    sh_rule(branch_a)
    dispatcher = UserFactory(username="wangfang", branch=branch_a, roles=[Role.DISPATCHER])
    UserFactory(username="chenjing", branch=branch_a, roles=[Role.MANAGER])
    file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a, on_site=True), "5000")
    page = open_page(**TABLET)
    log_in(page, "chenjing")
    page.goto("/warranty/approvals/")
    expect(page.get_by_test_id("count-claims")).to_have_text("0")
    expect(page.get_by_test_id("inbox-claim")).to_have_count(0)
