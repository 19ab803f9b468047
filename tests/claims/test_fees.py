"""Paid service money: collected fees handed to finance, invoiced, and the daily takings per technician
(§5 第三十、三十一条; §7-十, 十三; §1-3.3.4)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.errors import UserError
from claims.fee_services import (
    invoice_fee,
    quote_before,
    quote_problem,
    receive_fee,
    record_fee_quote,
)
from claims.models import FeeHandover, FeeQuote
from tests.tickets.factories import ServiceReportFactory, TicketFactory
from tickets.models import ServiceCategory


def collected(technician, fee="180.00", method="wechat", at=None, branch=None):
    """A paid job's signed report whose fee the technician collected on site."""
    ticket = TicketFactory(
        unit__owner__branch=branch or technician.branch,
        on_site=True,
        technician=technician,
        visit_count=1,
        service_category=ServiceCategory.PAID,
    )
    report = ServiceReportFactory(
        ticket=ticket, signed=True, fee=Decimal(fee), payment_method=method, fee_collected=True
    )
    if at is not None:
        type(report).objects.filter(pk=report.pk).update(signed_at=at)
        report.refresh_from_db()
    return report


@pytest.fixture
def finance(persona):
    return persona(Role.FINANCE)


@pytest.mark.django_db
class TestHandover:
    def test_finance_confirms_receipt_then_invoices(self, finance, technician):
        report = collected(technician, "260.00")
        handover = receive_fee(user=finance, report_id=report.pk)
        assert (handover.amount, handover.technician, handover.payment_method) == (
            Decimal("260.00"),
            technician,
            "wechat",
        )
        with pytest.raises(UserError, match="已确认收款"):
            receive_fee(user=finance, report_id=report.pk)
        with pytest.raises(UserError, match="请填写发票号"):
            invoice_fee(
                user=finance, handover_id=handover.pk, invoice_number="", invoice_date=timezone.localdate()
            )
        with pytest.raises(UserError, match="开票日期不能晚于今天"):
            invoice_fee(
                user=finance,
                handover_id=handover.pk,
                invoice_number="No.0001",
                invoice_date=timezone.localdate() + datetime.timedelta(days=1),
            )
        handover = invoice_fee(
            user=finance, handover_id=handover.pk, invoice_number="No.0001", invoice_date=timezone.localdate()
        )
        assert handover.is_invoiced
        with pytest.raises(UserError, match="已开票"):
            invoice_fee(
                user=finance,
                handover_id=handover.pk,
                invoice_number="No.0002",
                invoice_date=timezone.localdate(),
            )

    def test_only_finance_of_the_branch_takes_the_money(self, persona, technician, branch_b):
        report = collected(technician)
        for user in (persona(Role.MANAGER), persona(Role.FINANCE, branch=branch_b), technician):
            with pytest.raises(PermissionDenied, match="只有本网点的会计"):
                receive_fee(user=user, report_id=report.pk)
        assert not FeeHandover.objects.exists()

    def test_a_report_without_a_fee_has_nothing_to_receive(self, finance, technician):
        report = collected(technician)
        type(report).objects.filter(pk=report.pk).update(fee=0)
        with pytest.raises(UserError, match="未签字或没有服务费"):
            receive_fee(user=finance, report_id=report.pk)

    def test_a_fee_paid_by_transfer_is_received_too(self, finance, technician):
        report = collected(technician, method="transfer")
        type(report).objects.filter(pk=report.pk).update(fee_collected=False)
        assert receive_fee(user=finance, report_id=report.pk).payment_method == "transfer"


@pytest.mark.django_db
class TestScreens:
    def test_the_fee_tabs_move_a_payment_from_pending_to_invoiced(self, client, finance, technician):
        report = collected(technician, "180.00")
        client.force_login(finance)
        url = reverse("claims:fees")
        page = client.get(url).content.decode()
        assert report.ticket.number in page and "¥180.00" in page
        response = client.post(reverse("claims:fee_receive", args=[report.pk]), follow=True)
        assert "已确认收到" in response.content.decode()
        assert report.ticket.number not in client.get(url).content.decode()
        assert report.ticket.number in client.get(url, {"tab": "received"}).content.decode()
        handover = FeeHandover.objects.get()
        response = client.post(
            reverse("claims:fee_invoice", args=[handover.pk]),
            {"invoice_number": "No.0042", "invoice_date": timezone.localdate().isoformat()},
            follow=True,
        )
        assert "已开票,发票号 No.0042。" in response.content.decode()
        assert "No.0042" in client.get(url, {"tab": "invoiced"}).content.decode()

    @pytest.mark.parametrize(
        ("typed_date", "message"),
        [
            ((timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "开票日期不能晚于今天。"),
            ("9999-12-31", "“开票日期”必须在 2000-01-01 至 2099-12-31 之间。"),
            ("2026-13-45", "开票日期格式应为 2026-11-27。"),
        ],
    )
    def test_a_date_error_keeps_the_typed_invoice_number_beside_the_message(
        self, client, finance, technician, typed_date, message
    ):
        """The page came back with the number box empty: finance typed it again, or gave up."""
        handover = receive_fee(user=finance, report_id=collected(technician).pk)
        client.force_login(finance)
        action = reverse("claims:fee_invoice", args=[handover.pk])
        response = client.post(action, {"invoice_number": "FP-20261204-7", "invoice_date": typed_date})
        page = response.content.decode()
        form = re.search(rf'<form[^>]*action="{re.escape(action)}[^"]*".*?</form>', page, re.S).group(0)
        assert re.search(r'<input[^>]*name="invoice_number"[^>]*value="FP-20261204-7"', form)
        assert re.search(rf'<input[^>]*name="invoice_date"[^>]*value="{typed_date}"', form)
        assert message in form
        handover.refresh_from_db()
        assert handover.invoice_number == ""

    def test_a_fee_received_yesterday_and_not_invoiced_is_flagged(self, client, finance, technician):
        handover = receive_fee(user=finance, report_id=collected(technician).pk)
        FeeHandover.objects.filter(pk=handover.pk).update(
            received_at=timezone.now() - datetime.timedelta(days=2)
        )
        client.force_login(finance)
        assert "应于收款当日开票" in client.get(reverse("claims:fees"), {"tab": "received"}).content.decode()

    def test_the_fee_lists_run_constant_queries(self, client, finance, technician):
        client.force_login(finance)

        def queries(tab: str) -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("claims:fees"), {"tab": tab}).status_code == 200
            return len(captured)

        for _ in range(2):
            receive_fee(user=finance, report_id=collected(technician).pk)
            collected(technician)
        few = {tab: queries(tab) for tab in ("pending", "received")}
        for _ in range(6):
            receive_fee(user=finance, report_id=collected(technician).pk)
            collected(technician)
        assert {tab: queries(tab) for tab in ("pending", "received")} == few

    def test_outsiders_and_technicians_do_not_see_the_finance_lists(
        self, client, technician, persona, branch_b
    ):
        report = collected(technician)
        client.force_login(technician)
        assert client.get(reverse("claims:fees")).status_code == 403
        client.force_login(persona(Role.FINANCE, branch=branch_b))
        assert report.ticket.number not in client.get(reverse("claims:fees")).content.decode()
        assert client.post(reverse("claims:fee_receive", args=[report.pk])).status_code == 404


@pytest.mark.django_db
class TestDailyTakings:
    def test_per_technician_with_totals_for_the_chosen_day(self, client, finance, technician, persona):
        second = persona(Role.TECHNICIAN, username="tech_two")
        today = timezone.localdate()
        noon = timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))
        first_jobs = [
            collected(technician, "180.00", at=noon),
            collected(technician, "95.50", "cash", at=noon),
        ]
        collected(second, "300.00", at=noon)
        yesterday = collected(technician, "999.00", at=noon - datetime.timedelta(days=1))
        receive_fee(user=finance, report_id=first_jobs[0].pk)
        client.force_login(finance)
        page = client.get(reverse("claims:takings"), {"day": today.isoformat()}).content.decode()
        assert "合计 ¥275.50 · 现场收款 ¥275.50 · 已交财务 ¥180.00" in page
        assert "合计 ¥300.00" in page
        assert "¥575.50" in page  # grand total
        assert yesterday.ticket.number not in page
        assert "未交" in page and "打印" in page
        page = client.get(
            reverse("claims:takings"), {"day": (today - datetime.timedelta(days=1)).isoformat()}
        )
        assert "¥999.00" in page.content.decode()

    def test_a_technician_sees_only_their_own_takings(self, client, technician, persona):
        other = persona(Role.TECHNICIAN, username="tech_two")
        mine, theirs = collected(technician, "180.00"), collected(other, "300.00")
        client.force_login(technician)
        page = client.get(reverse("claims:takings")).content.decode()
        assert mine.ticket.number in page and theirs.ticket.number not in page

    def test_an_empty_day_and_a_wrong_date(self, client, finance):
        client.force_login(finance)
        assert "当天没有有偿服务收费。" in client.get(reverse("claims:takings")).content.decode()
        page = client.get(reverse("claims:takings"), {"day": "2026-13-45"}).content.decode()
        assert "日期格式应为 2026-11-27。" in page

    def test_the_takings_run_constant_queries(self, client, finance, technician, persona):
        client.force_login(finance)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                client.get(reverse("claims:takings"))
            return len(captured)

        collected(technician)
        few = queries()
        for index in range(4):
            receive_fee(user=finance, report_id=collected(persona(Role.TECHNICIAN, username=f"t{index}")).pk)
        assert queries() == few

    def test_a_dispatcher_has_no_takings_page(self, client, dispatcher):
        client.force_login(dispatcher)
        assert client.get(reverse("claims:takings")).status_code == 403


@pytest.mark.django_db
class TestFeeQuotes:
    """收费告知 (§5 第三十条): the fee is told and agreed before the work; finance sees what was not."""

    def test_the_technician_on_site_records_the_quote_from_the_ticket_page(self, client, technician):
        ticket = TicketFactory(
            unit__owner__branch=technician.branch,
            on_site=True,
            technician=technician,
            service_category=ServiceCategory.PAID,
        )
        client.force_login(technician)
        page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        assert "服务前告知客户收费并征得同意" in page and 'id="quote-amount"' in page
        response = client.post(
            reverse("claims:fee_quote", args=[ticket.pk]),
            {"amount": "180.00", "description": "上门费及更换启动电容", "agreed_by": "张伟"},
            follow=True,
        )
        page = response.content.decode()
        assert "已登记收费告知:上门费及更换启动电容 ¥180.00,张伟 同意。" in page
        quote = FeeQuote.objects.get()
        assert (quote.amount, quote.told_by) == (Decimal("180.00"), technician)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"amount": "0", "description": "上门费", "agreed_by": "张伟"}, "告知金额必须大于 0 元"),
            ({"amount": "50", "description": "", "agreed_by": "张伟"}, "请填写收费项目。"),
            ({"amount": "50", "description": "上门费", "agreed_by": " "}, "请填写同意收费的客户姓名。"),
        ],
    )
    def test_wrong_input_is_refused_with_the_field_named(self, technician, data, message):
        ticket = TicketFactory(unit__owner__branch=technician.branch, on_site=True, technician=technician)
        with pytest.raises(UserError, match=message):
            record_fee_quote(
                user=technician, ticket_id=ticket.pk, **{**data, "amount": Decimal(data["amount"])}
            )
        assert not FeeQuote.objects.exists()

    def test_no_quote_after_the_customer_signed_or_by_outsiders(
        self, technician, persona, dispatcher, branch_b
    ):
        signed = TicketFactory(
            unit__owner__branch=technician.branch, on_site=True, technician=technician, signed_report=True
        )
        with pytest.raises(UserError, match="不能事后补录"):
            record_fee_quote(
                user=technician,
                ticket_id=signed.pk,
                amount=Decimal("50"),
                description="上门费",
                agreed_by="张伟",
            )
        ticket = TicketFactory(unit__owner__branch=technician.branch, dispatched=True)
        for user in (technician, persona(Role.DISPATCHER, branch=branch_b), persona(Role.FINANCE)):
            with pytest.raises(PermissionDenied):
                record_fee_quote(
                    user=user,
                    ticket_id=ticket.pk,
                    amount=Decimal("50"),
                    description="上门费",
                    agreed_by="张伟",
                )
        quote = record_fee_quote(
            user=dispatcher, ticket_id=ticket.pk, amount=Decimal("50"), description="上门费", agreed_by="张伟"
        )
        assert quote.told_by == dispatcher

    def test_finance_sees_fees_not_told_before_or_above_the_quote(self, client, finance, technician):
        untold = collected(technician, "180.00")
        over = collected(technician, "300.00")
        as_told = collected(technician, "150.00")
        earlier = over.signed_at - datetime.timedelta(hours=1)
        FeeQuote.objects.create(
            ticket=over.ticket,
            amount=Decimal("200"),
            description="上门费",
            agreed_by="张伟",
            told_by=technician,
            told_at=earlier,
        )
        FeeQuote.objects.create(
            ticket=as_told.ticket,
            amount=Decimal("150"),
            description="上门费",
            agreed_by="李娜",
            told_by=technician,
            told_at=earlier,
        )
        # A quote recorded after the signature does not count as told in advance.
        FeeQuote.objects.create(
            ticket=untold.ticket,
            amount=Decimal("180"),
            description="上门费",
            agreed_by="王五",
            told_by=technician,
            told_at=untold.signed_at + datetime.timedelta(minutes=5),
        )
        client.force_login(finance)
        page = client.get(reverse("claims:fees")).content.decode()
        assert page.count('data-testid="untold"') == 1 and page.count('data-testid="over-quote"') == 1
        row = page[page.index(over.ticket.number) :]
        assert row.index("超出告知金额") < row.index("</tr>")
        row = page[page.index(as_told.ticket.number) :]
        assert (
            "未事先告知" not in row[: row.index("</tr>")] and "超出告知金额" not in row[: row.index("</tr>")]
        )

    def test_quote_rules(self):
        now = timezone.now()
        before = FeeQuote(pk=1, amount=Decimal("100"), told_at=now - datetime.timedelta(hours=2))
        later_before = FeeQuote(pk=2, amount=Decimal("120"), told_at=now - datetime.timedelta(hours=1))
        after = FeeQuote(pk=3, amount=Decimal("500"), told_at=now + datetime.timedelta(hours=1))
        assert quote_before(now, [after, before, later_before]) is later_before
        assert quote_before(now, [after]) is None
        assert quote_problem(Decimal("120"), later_before) == ""
        assert quote_problem(Decimal("120.01"), later_before) == "over"
        assert quote_problem(Decimal("10"), None) == "untold"
