"""Field work on the technician's tablet (1024×768 touch): check in, the service report in steps, the
customer's signature, the voucher; and the server's refusals behind the page (DESIGN §3, §1-3.3.2)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.browser.support import TABLET, checked_in_tablet, csrf_token, draw_signature, fill_step, log_in
from tickets.models import GoodsRegisterEntry, RepairTicket, ServiceReport, State
from tickets.return_services import FactoryRepair, GoodsIn, approve_return, finish_factory_repair
from tickets.services import apply_transition

pytestmark = pytest.mark.browser


def test_check_in_fill_the_report_in_steps_sign_and_get_the_voucher(open_page, job):
    tablet = checked_in_tablet(open_page, job)
    # The signature step cannot be reached before the report is complete.
    expect(tablet.locator(".report-steps .disabled")).to_contain_text("客户签字")
    for step in range(1, 5):
        fill_step(tablet, step)
    expect(tablet.locator("input[type=file][capture=environment]")).to_have_count(0)  # step 5: fee
    fill_step(tablet, 5)

    expect(tablet.get_by_test_id("step-count")).to_contain_text("第 6 步 / 共 6 步")
    expect(tablet.get_by_test_id("report-summary")).to_contain_text("室外机电容鼓包")
    tablet.get_by_label("签字客户姓名").fill("张伟")
    draw_signature(tablet)
    tablet.get_by_test_id("sign-submit").tap()

    expect(tablet).to_have_url(re.compile(rf"/tickets/{job.pk}/$"))
    expect(tablet.locator("#messages")).to_contain_text("客户已签字,服务报告已锁定")
    voucher = tablet.get_by_test_id("voucher-link")
    expect(voucher).to_be_visible()
    pdf = tablet.request.get(voucher.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    tablet.once("dialog", lambda dialog: dialog.accept())  # a one-way action asks first
    tablet.locator("[data-action=complete_visit]").tap()
    expect(tablet.get_by_test_id("ticket-state")).to_have_text("待验收")
    report = ServiceReport.objects.get(ticket=job)
    assert report.signer_name == "张伟" and len(report.content_sha256) == 64


def test_the_server_refuses_the_signature_of_an_incomplete_report(open_page, job):
    tablet = checked_in_tablet(open_page, job)
    fill_step(tablet, 1)
    tablet.goto(f"/tickets/{job.pk}/report/?step=6")
    expect(tablet.get_by_test_id("signature-locked")).to_contain_text("检查结果")
    expect(tablet.get_by_test_id("signature-canvas")).to_be_hidden()
    # Past the page: a forged signature post is refused by the server, naming what is missing.
    response = tablet.request.post(
        f"/tickets/{job.pk}/report/sign/",
        form={
            "csrfmiddlewaretoken": csrf_token(tablet),
            "signer_name": "张伟",
            "signature": "data:image/png;base64,iVBORw0KGgo=",
        },
    )
    assert "客户不能签字" in response.text() and "检查结果" in response.text()
    assert not ServiceReport.objects.get(ticket=job).is_signed
    assert RepairTicket.objects.get(pk=job.pk).state == State.ON_SITE


def test_a_signed_report_cannot_be_edited_in_the_page_nor_the_api(open_page, job):
    tablet = checked_in_tablet(open_page, job)
    for step in range(1, 6):
        fill_step(tablet, step)
    tablet.get_by_label("签字客户姓名").fill("张伟")
    draw_signature(tablet)
    tablet.get_by_test_id("sign-submit").tap()
    expect(tablet.locator("#messages")).to_contain_text("服务报告已锁定")

    tablet.goto(f"/tickets/{job.pk}/report/?step=3")
    expect(tablet.get_by_test_id("report-signed")).to_be_visible()
    expect(tablet.get_by_test_id("report-step-form")).to_have_count(0)
    report = ServiceReport.objects.get(ticket=job)
    api = tablet.request.patch(
        f"/api/v1/tickets/{job.pk}/report",
        data={"findings": "改过的结果", "version": report.version},
        headers={"X-CSRFToken": csrf_token(tablet)},
    )
    assert api.status == 409 and "不能再修改" in api.json()["message"]
    page = tablet.request.post(
        f"/tickets/{job.pk}/report/step/3/",
        form={
            "csrfmiddlewaretoken": csrf_token(tablet),
            "idempotency_key": str(uuid.uuid4()),  # a new intent: each rendered form has its own key
            "version": str(report.version),
            "findings": "改过的结果",
            "cause": "改过的原因",
        },
    )
    assert "不能再修改" in page.text()
    report.refresh_from_db()
    assert (report.findings, report.content_sha256) == ("室外机电容鼓包", report.content_sha256)


def test_a_double_submit_makes_one_report(open_page, job):
    tablet = checked_in_tablet(open_page, job)
    tablet.get_by_label("客户反映").fill("空调开机五分钟后自动停机")
    key = tablet.locator("input[name=idempotency_key]").input_value()
    tablet.get_by_test_id("save-step").dblclick()
    expect(tablet.get_by_test_id("step-count")).to_contain_text("第 2 步 / 共 6 步")
    # The same form sent again from another tab or after a reconnect: still one report.
    again = tablet.request.post(
        f"/tickets/{job.pk}/report/step/1/",
        form={
            "csrfmiddlewaretoken": csrf_token(tablet),
            "idempotency_key": key,
            "version": "",
            "customer_account": "空调开机五分钟后自动停机",
        },
    )
    assert again.ok
    assert ServiceReport.objects.filter(ticket=job).count() == 1


def test_hand_over_after_a_factory_repair_takes_the_customers_signature(open_page, job, people):
    dispatcher, technician = people
    supervisor = UserFactory(
        username="zhaolei", last_name="赵", first_name="磊", branch=dispatcher.branch, roles=[Role.SUPERVISOR]
    )
    ticket = apply_transition(
        ticket_id=job.pk, user=technician, name="check_in", expected_version=job.version
    )
    ticket = apply_transition(
        ticket_id=job.pk,
        user=technician,
        name="request_return",
        expected_version=ticket.version,
        note="需返厂",
    )
    approve_return(ticket_id=job.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn())
    finish_factory_repair(
        ticket_id=job.pk,
        user=technician,
        expected_version=RepairTicket.objects.get(pk=job.pk).version,
        repair=FactoryRepair("更换主板", Decimal("2"), "主板 × 1", "试机正常", supervisor),
    )
    desk = open_page()
    log_in(desk, "wangfang")
    desk.goto(f"/tickets/{job.pk}/")
    desk.get_by_label("领取人姓名").fill("张伟")
    draw_signature(desk)
    desk.once("dialog", lambda dialog: dialog.accept())  # a one-way action asks first
    desk.locator("[data-action=hand_over]").click()
    expect(desk.locator("#messages")).to_contain_text("领取收据已作废")
    expect(desk.get_by_test_id("ticket-state")).to_have_text("待验收")
    expect(desk.get_by_test_id("goods-entry")).to_contain_text("已作废")
    entry = GoodsRegisterEntry.objects.get(ticket=job)
    assert entry.out_kind == "handed_over" and entry.receipt.signer_name == "张伟"


def test_setting_off_texts_the_customer_and_the_job_shows_on_the_way(open_page, job):
    tablet = open_page(**TABLET)
    log_in(tablet, "liqiang")
    card = tablet.get_by_test_id(f"job-{job.number}")
    expect(card.get_by_test_id("navigate")).to_have_attribute(
        "href", re.compile(r"^https://uri\.amap\.com/search")
    )
    card.get_by_label("预计多少分钟后到达").select_option("45")
    card.get_by_test_id(f"depart-{job.number}").tap()
    expect(tablet.locator("#messages")).to_contain_text("已短信通知客户预计到达时间")
    expect(card.get_by_test_id(f"on-the-way-{job.number}")).to_have_text("在途")
    assert Notification.objects.get(customer=job.customer, kind="eta").subject.startswith("您的报修")
    card.get_by_test_id(f"check-in-{job.number}").tap()
    expect(tablet.locator("#messages")).to_contain_text("上门处理中")
