"""Paid service money (§5 第三十、三十一条; §7-十, 十三; §1-3.3.4): the fee agreed before the work and
collected after it is on the signed service report; the technician hands it in in full, finance
confirms receipt and invoices it on the day of the return."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from aftersales.errors import Conflict, UserError
from audit.services import record
from claims.models import FeeHandover, FeeQuote
from tickets.models import RepairTicket, ServiceReport, State

# Who reads the money lists of a branch; finance alone writes them.
FEE_READERS = (Role.FINANCE, Role.MANAGER, Role.GENERAL_MANAGER, Role.SUPERVISOR)


def billable_reports(user: User):
    """Signed reports of paid service (a fee agreed before the work), in this user's scope. Most fees
    are collected on site (`fee_collected`); the rest reach finance by transfer."""
    reports = ServiceReport.objects.filter(signed_at__isnull=False, fee__gt=0)
    if user.sees_all_branches:
        return reports
    if user.has_role(*FEE_READERS) and user.branch_id:
        return reports.filter(ticket__branch_id=user.branch_id)
    if user.has_role(Role.TECHNICIAN):
        return reports.filter(technician=user)
    return reports.none()


# The fee is told before the work: while the ticket waits, is dispatched, or the technician is on site
# and the customer has not yet signed the report.
QUOTABLE_STATES = (State.REPORTED, State.DISPATCHED, State.ON_SITE)
QUOTERS = (Role.DISPATCHER, Role.SUPERVISOR)


def may_quote(ticket: RepairTicket, user: User) -> bool:
    if not user.is_active or ticket.state not in QUOTABLE_STATES or ticket.report_signed:
        return False
    if ticket.technician_id == user.pk and user.has_role(Role.TECHNICIAN):
        return True
    return user.has_role(*QUOTERS) and user.in_branch(ticket.branch_id)


def record_fee_quote(
    *, user: User, ticket_id: int, amount: Decimal | None, description: str, agreed_by: str
) -> FeeQuote:
    """收费告知 (§5 第三十条): what the paid service will cost, told to and agreed by the customer."""
    description, agreed_by = description.strip(), agreed_by.strip()
    if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise UserError(_("告知金额必须大于 0 元,最多两位小数。"), field="amount")
    if not description:
        raise UserError(_("请填写收费项目。"), field="description")
    if not agreed_by:
        raise UserError(_("请填写同意收费的客户姓名。"), field="agreed_by")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        if ticket.report_signed:
            raise Conflict(_("服务报告已由客户签字:收费须在服务前告知,不能事后补录。"))
        if not may_quote(ticket, user):
            raise PermissionDenied(_("您不能为该工单登记收费告知。"))
        quote = FeeQuote.objects.create(
            ticket=ticket, amount=amount, description=description, agreed_by=agreed_by, told_by=user
        )
        # The technician's fee step starts from the latest quote (tickets cannot read this app).
        ticket.quoted_fee = amount
        ticket.save(update_fields=["quoted_fee"])
        record(user, "fee.quote", quote, {"ticket": ticket.number, "amount": amount, "agreed_by": agreed_by})
        return quote


def quote_before(signed_at: datetime.datetime, quotes) -> FeeQuote | None:
    """The latest quote told before the customer signed (`quotes`: the ticket's, prefetched)."""
    told = [quote for quote in quotes if quote.told_at <= signed_at]
    return max(told, key=lambda quote: (quote.told_at, quote.pk), default=None)


def quote_problem(fee: Decimal, quote: FeeQuote | None) -> str:
    """What finance should look at (§5 第三十条, §1-3.3.4): "untold" when no fee was told before the
    work, "over" when more was collected than told; "" when the fee is as agreed."""
    if quote is None:
        return "untold"
    return "over" if fee > quote.amount else ""


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The Asia/Shanghai day as an aware [start, end) range."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def check_finance(user: User, branch_id: int) -> None:
    if not user.has_role(Role.FINANCE) or not user.in_branch(branch_id):
        raise PermissionDenied(_("只有本网点的会计可以办理收款和开票。"))


def receive_fee(*, user: User, report_id: int) -> FeeHandover:
    """Finance confirms the fee arrived in full: handed in by the technician, or paid by transfer."""
    with transaction.atomic():
        report = (
            ServiceReport.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=report_id)
        )
        check_finance(user, report.ticket.branch_id)
        if not (report.is_signed and report.fee > 0):
            raise Conflict(_("该服务报告未签字或没有服务费。"))
        if FeeHandover.objects.filter(report=report).exists():  # the report is locked: no race
            raise Conflict(_("工单 %(number)s 的服务费已确认收款。") % {"number": report.ticket.number})
        try:
            with transaction.atomic():
                handover = FeeHandover.objects.create(
                    report=report,
                    branch_id=report.ticket.branch_id,
                    technician_id=report.technician_id,
                    amount=report.fee,
                    payment_method=report.payment_method,
                    received_by=user,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("工单 %(number)s 的服务费已确认收款。") % {"number": report.ticket.number}
            ) from exc
        record(user, "fee.receive", handover, {"ticket": report.ticket.number, "amount": handover.amount})
        return handover


def invoice_fee(
    *, user: User, handover_id: int, invoice_number: str, invoice_date: datetime.date | None
) -> FeeHandover:
    invoice_number = invoice_number.strip()
    if not invoice_number:
        raise UserError(_("请填写发票号。"), field="invoice_number")
    if invoice_date is None:
        raise UserError(_("请填写开票日期。"), field="invoice_date")
    if invoice_date > timezone.localdate():
        raise UserError(_("开票日期不能晚于今天。"), field="invoice_date")
    with transaction.atomic():
        handover = FeeHandover.objects.select_for_update().get(pk=handover_id)
        check_finance(user, handover.branch_id)
        if handover.is_invoiced:
            raise Conflict(_("该笔服务费已开票(发票号 %(number)s)。") % {"number": handover.invoice_number})
        handover.invoice_number = invoice_number
        handover.invoice_date = invoice_date
        handover.invoiced_by = user
        handover.save()
        record(
            user, "fee.invoice", handover, {"invoice_number": invoice_number, "invoice_date": invoice_date}
        )
    return handover
