"""Return to factory screens: approve with goods-in, finish with the repair tag, hand over or ship back,
the receipt and tag PDFs, and the goods in/out register."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.bounds import filter_status
from aftersales.errors import Conflict, UserError
from tickets.access import access_ticket
from tickets.documents import pdf_response, pickup_receipt_pdf, repair_tag_pdf
from tickets.forms import (
    ApproveReturnForm,
    FinishRepairForm,
    GoodsRegisterFilterForm,
    HandOverForm,
    ShipBackForm,
)
from tickets.models import GoodsRegisterEntry, RepairTicket
from tickets.return_services import (
    FactoryRepair,
    GoodsIn,
    approve_return,
    finish_factory_repair,
    hand_over,
    ship_back,
)
from tickets.selectors import latest_goods_entry

PAGE_SIZE = 25


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _run(request: HttpRequest, ticket: RepairTicket, form, call, success: str) -> HttpResponse:
    """Validate, call the service, answer on the ticket page (thin views share this one `if`)."""
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(ticket)
    try:
        call(form.cleaned_data)
    except Conflict as exc:
        messages.error(request, str(exc))
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(ticket)


@login_required
@require_POST
@idempotent
def return_approve(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    return _run(
        request,
        ticket,
        ApproveReturnForm(request.POST),
        lambda data: approve_return(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=data["version"],
            note=data["note"],
            goods=GoodsIn(
                item_description=data["item_description"],
                accessories=data["accessories"],
                condition=data["condition"],
            ),
        ),
        _("已批准返厂并入库登记。请打印领取收据交给客户,打印修护卡挂在商品上。"),
    )


@login_required
@require_POST
@idempotent
def return_finish(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    return _run(
        request,
        ticket,
        FinishRepairForm(request.POST, branch_id=ticket.branch_id),
        lambda data: finish_factory_repair(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=data["version"],
            repair=FactoryRepair(
                work_done=data["work_done"],
                labour_hours=data["labour_hours"],
                parts_used=data["parts_used"],
                inspection_note=data["inspection_note"],
                inspector=data["inspector"],
            ),
        ),
        _("返厂维修完成,已记入修护卡并通知客户取件。"),
    )


@login_required
@require_POST
@idempotent
def return_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    return _run(
        request,
        ticket,
        HandOverForm(request.POST),
        lambda data: hand_over(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=data["version"],
            signer_name=data["signer_name"],
            signature_png=data["signature"],
        ),
        _("客户已签字领取,领取收据已作废。下一步:验收。"),
    )


@login_required
@require_POST
@idempotent
def return_ship_back(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    return _run(
        request,
        ticket,
        ShipBackForm(request.POST),
        lambda data: ship_back(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=data["version"],
            tracking_number=data["tracking_number"],
        ),
        _("已登记寄回客户,领取收据已作废。下一步:验收。"),
    )


def _latest_entry(ticket: RepairTicket) -> GoodsRegisterEntry:
    return latest_goods_entry(ticket)


@login_required
@require_GET
def pickup_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _latest_entry(access_ticket(request.user, pk))
    return pdf_response(pickup_receipt_pdf(entry), f"pickup-receipt-{entry.receipt.number}.pdf")


@login_required
@require_GET
def repair_tag(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    entry = _latest_entry(ticket)
    url = request.build_absolute_uri(ticket.get_absolute_url())
    return pdf_response(repair_tag_pdf(entry, url), f"repair-tag-{entry.number}.pdf")


@login_required
@require_GET
def goods_register(request: HttpRequest) -> HttpResponse:
    """客户商品进出登记簿: filter by goods-in date and branch, paginated, printable (print CSS)."""
    user = request.user
    if not user.has_role(Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER, Role.WAREHOUSE):
        raise PermissionDenied(_("您没有查看客户商品进出登记簿的权限。"))
    form = GoodsRegisterFilterForm(request.GET or None, user=user)
    entries = GoodsRegisterEntry.objects.visible_to(user).for_register()
    if form.is_valid():
        data = form.cleaned_data
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            entries = entries.filter(
                in_at__gte=datetime.datetime.combine(data["date_from"], datetime.time(), zone)
            )
        if data["date_to"]:
            end = data["date_to"] + datetime.timedelta(days=1)
            entries = entries.filter(in_at__lt=datetime.datetime.combine(end, datetime.time(), zone))
        if data.get("branch"):
            entries = entries.filter(branch=data["branch"])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "company_name": settings.COMPANY_NAME,
        "printed_at": timezone.now(),
    }
    return render(request, "tickets/goods_register.html", context, status=filter_status(form))
