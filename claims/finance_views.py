"""Finance screens: write-offs of approved claims, service fees handed in and invoiced, and the daily
takings per technician (printable)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.bounds import filter_status
from aftersales.errors import UserError
from claims.fee_services import (
    FEE_READERS,
    billable_reports,
    day_bounds,
    invoice_fee,
    quote_before,
    quote_problem,
    receive_fee,
    record_fee_quote,
)
from claims.forms import DayForm, FeeQuoteForm, InvoiceForm, VoucherForm, WriteOffFilterForm
from claims.models import FeeHandover, WriteOff
from claims.selectors import fees_awaiting_invoice, in_users_branch
from claims.services import book_write_off
from tickets.access import access_ticket

PAGE_SIZE = 25


def _check_reader(user) -> None:
    if not user.has_role(*FEE_READERS):
        raise PermissionDenied(_("只有会计、经理和服务主任可以查看财务列表。"))


@login_required
@require_GET
def write_offs(request: HttpRequest) -> HttpResponse:
    _check_reader(request.user)
    form = WriteOffFilterForm(request.GET or None)
    entries = in_users_branch(WriteOff.objects.all(), request.user).select_related(
        "branch", "claim__ticket__customer", "booked_by"
    )
    if form.is_valid() and form.cleaned_data["status"]:
        entries = entries.filter(status=form.cleaned_data["status"])
    page = Paginator(entries.order_by("status", "-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "claims/write_offs.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_book": Role.FINANCE in request.user.roles,
            "voucher_form": VoucherForm(),
        },
    )


@login_required
@require_POST
@idempotent
def write_off_book(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(in_users_branch(WriteOff.objects.all(), request.user), pk=pk)
    form = VoucherForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写记账凭证号。"))
        return redirect("claims:write_offs")
    try:
        book_write_off(
            user=request.user, write_off_id=entry.pk, voucher_number=form.cleaned_data["voucher_number"]
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("核销记录 %(number)s 已入账。") % {"number": entry.number})
    return redirect("claims:write_offs")


FEE_TABS = ("pending", "received", "invoiced")


@login_required
@require_GET
def fees(request: HttpRequest) -> HttpResponse:
    """Collected fees: waiting to be handed in, received and waiting for the invoice, invoiced."""
    _check_reader(request.user)
    tab = request.GET.get("tab") if request.GET.get("tab") in FEE_TABS else "pending"
    return _fees_page(request, tab)


def _fees_page(
    request: HttpRequest, tab: str, *, refused: tuple[int, InvoiceForm] | None = None
) -> HttpResponse:
    """The fee list; `refused` (a handover's id and its invoice form) shows that row's form again with
    what finance typed and the reason beside it, rather than an empty form and a message at the top."""
    reports = billable_reports(request.user)
    if tab == "pending":
        rows = (
            reports.filter(handover__isnull=True)
            .select_related("ticket__customer", "technician")
            .prefetch_related("ticket__fee_quotes")
            .order_by("signed_at", "pk")
        )
    else:
        rows = (
            fees_awaiting_invoice(request.user)
            if tab == "received"
            else in_users_branch(FeeHandover.objects.all(), request.user).exclude(invoice_number="")
        )
        rows = rows.select_related("report__ticket__customer", "technician", "received_by").order_by(
            "received_at", "pk"
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if tab == "pending":
        for report in page.object_list:
            report.quote = quote_before(report.signed_at, report.ticket.fee_quotes.all())
            report.quote_problem = quote_problem(report.fee, report.quote)
    elif refused is not None:
        for handover in page.object_list:
            if handover.pk == refused[0]:
                handover.refused_form = refused[1]
    return render(
        request,
        "claims/fees.html",
        {
            "tab": tab,
            "page": page,
            "may_write": Role.FINANCE in request.user.roles,
            "invoice_form": InvoiceForm(initial={"invoice_date": timezone.localdate()}),
            "today": timezone.localdate(),
        },
        status=200 if refused is None else 400,
    )


@login_required
@require_POST
@idempotent
def fee_receive(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(billable_reports(request.user), pk=report_id)
    try:
        handover = receive_fee(user=request.user, report_id=report.pk)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已确认收到 %(technician)s 交来的服务费 ¥%(amount)s,请于当日开票。")
            % {"technician": handover.technician, "amount": handover.amount},
        )
    return redirect(reverse("claims:fees") + "?tab=pending")


@login_required
@require_POST
@idempotent
def fee_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    handover = get_object_or_404(in_users_branch(FeeHandover.objects.all(), request.user), pk=pk)
    form = InvoiceForm(request.POST)
    if form.is_valid():
        try:
            invoice_fee(
                user=request.user,
                handover_id=handover.pk,
                invoice_number=form.cleaned_data["invoice_number"],
                invoice_date=form.cleaned_data["invoice_date"],
            )
        except UserError as exc:
            form.add_error(exc.field, str(exc))
    if not form.is_valid():
        messages.error(request, _("未开票:请按提示修改后再提交。"))
        return _fees_page(request, "received", refused=(handover.pk, form))
    messages.success(
        request, _("已开票,发票号 %(number)s。") % {"number": form.cleaned_data["invoice_number"]}
    )
    return redirect(reverse("claims:fees") + "?tab=received")


@login_required
@require_POST
@idempotent
def fee_quote(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """收费告知 from the ticket page, before the work (§5 第三十条)."""
    ticket = access_ticket(request.user, ticket_pk)
    form = FeeQuoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(ticket)
    try:
        quote = record_fee_quote(user=request.user, ticket_id=ticket.pk, **form.cleaned_data)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已登记收费告知:%(what)s ¥%(amount)s,%(name)s 同意。")
            % {"what": quote.description, "amount": quote.amount, "name": quote.agreed_by},
        )
    return redirect(ticket)


@login_required
@require_GET
def takings(request: HttpRequest) -> HttpResponse:
    """当日收款: the paid jobs of a day per technician, what was collected on site and what reached
    finance, with totals (§7-十), printable."""
    user = request.user
    if not user.has_role(*FEE_READERS, Role.TECHNICIAN):
        raise PermissionDenied(_("您没有查看收款的权限。"))
    form = DayForm(request.GET or None)
    day = form.chosen_day()
    start, end = day_bounds(day)
    reports = (
        billable_reports(user)
        .filter(signed_at__gte=start, signed_at__lt=end)
        .select_related("ticket__customer", "ticket__branch", "technician", "handover")
        .order_by("technician__username", "signed_at", "pk")
    )
    groups: dict = defaultdict(
        lambda: {"rows": [], "total": Decimal(0), "on_site": Decimal(0), "handed_in": Decimal(0)}
    )
    for report in reports:
        group = groups[report.technician]
        group["rows"].append(report)
        group["total"] += report.fee
        if report.fee_collected:
            group["on_site"] += report.fee
        if hasattr(report, "handover"):
            group["handed_in"] += report.fee
    by_technician = [{"technician": technician, **group} for technician, group in groups.items()]
    return render(
        request,
        "claims/takings.html",
        {
            "form": form,
            "day": day,
            "groups": by_technician,
            "total": sum((group["total"] for group in by_technician), Decimal(0)),
        },
        status=filter_status(form),
    )
