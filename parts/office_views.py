"""Office screens of the parts app: postage sign-off, backorders, the handover list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.idempotency import idempotent
from accounts.models import Role, User
from aftersales.errors import UserError
from customers.models import Customer
from customers.phones import search_key
from parts import handover as handovers
from parts import services
from parts.access import page_of, part_codes_context, run_service
from parts.documents import handover_pdf
from parts.forms import BackorderFilterForm, BackorderForm, BackorderStepForm, HandoverStartForm, PostageForm
from parts.models import Backorder, Handover, PostageRecord
from parts.screens import require_screen
from tickets.documents import pdf_response
from tickets.models import RepairTicket


def _ticket_by_number(user, number: str) -> RepairTicket | None:
    number = number.strip()
    if not number:
        return None
    ticket = RepairTicket.objects.visible_to(user).filter(number=number).first()
    if ticket is None:
        raise UserError(_("工单号 %(number)s 不存在或不属于您的网点。") % {"number": number})
    return ticket


# --- postage of warranty parts (§1-3.6.3) --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def postage_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_screen(user, "parts:postage", message=_("您没有权限查看邮寄运费。"))
    form = PostageForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if run_service(
                request,
                lambda: services.record_postage(
                    user=user,
                    description=data["description"],
                    carrier=data["carrier"],
                    amount=data["amount"],
                    shipped_on=data["shipped_on"],
                    tracking_number=data["tracking_number"],
                    ticket=_ticket_by_number(user, data["ticket_number"]),
                ),
                _("已登记运费,等待领导签字后销帐。"),
            ):
                return redirect("parts:postage")
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    records = PostageRecord.objects.select_related("handler", "approved_by", "ticket", "branch")
    if not user.sees_all_branches:
        records = records.filter(branch_id=user.branch_id)
    page, query = page_of(request, records)
    return render(
        request,
        "parts/postage.html",
        {"form": form, "page": page, "query": query, "is_leader": user.has_role(*services.LEADERS)},
    )


@login_required
@require_POST
@idempotent
def postage_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    records = (
        PostageRecord.objects.all()
        if user.sees_all_branches
        else PostageRecord.objects.filter(branch_id=user.branch_id)
    )
    if not records.filter(pk=pk).exists():
        raise Http404("No such postage record")
    run_service(
        request, lambda: services.approve_postage(record_id=pk, user=user), _("已签字,该运费可以销帐。")
    )
    return redirect("parts:postage")


# --- backorders (缺货登记) ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def backorder_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_screen(user, "parts:backorders", message=_("您没有权限查看缺货登记。"))
    form = BackorderForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if run_service(
                request,
                lambda: services.register_backorder(
                    user=user,
                    customer=_customer_by_phone(user, data["customer_phone"]),
                    part=data["part"],
                    quantity=data["quantity"],
                    ticket=_ticket_by_number(user, data["ticket_number"]),
                    note=data["note"],
                ),
                _("已登记缺货。请立即组织调货,并在一周内再次联系客户(第三十三、三十五条)。"),
            ):
                return redirect("parts:backorders")
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    filter_form = BackorderFilterForm(request.GET or None)
    backorders = Backorder.objects.select_related("customer", "part", "ticket")
    if not user.sees_all_branches:
        backorders = backorders.filter(branch_id=user.branch_id)
    state = filter_form.cleaned_data["state"] if filter_form.is_valid() else ""
    if state:
        backorders = backorders.filter(state=state)
    else:
        backorders = backorders.filter(
            state__in=[Backorder.State.REGISTERED, Backorder.State.ORDERED, Backorder.State.ARRIVED]
        )
    page, query = page_of(request, backorders.order_by("last_contacted_at", "pk"))
    return render(
        request,
        "parts/backorders.html",
        {
            "form": form,
            "filter_form": filter_form,
            "page": page,
            "query": query,
            "step_form": BackorderStepForm(),
            **part_codes_context(),
        },
    )


def _customer_by_phone(user, phone: str) -> Customer:
    digits = search_key(phone)
    customers = Customer.objects.visible_to(user).filter(phones__number=digits).distinct()
    customer = customers.first()
    if customer is None:
        raise UserError(_("没有电话为 %(phone)s 的客户,请先在报修登记中建档。") % {"phone": phone})
    return customer


BACKORDER_STEPS = {
    "confirm": (services.confirm_backorder, gettext_lazy("已记录客户确认,可以调货。")),
    "order": (services.order_backorder, gettext_lazy("已登记调货及确认到货日期。")),
    "contact": (services.record_backorder_contact, gettext_lazy("已记录联系客户。")),
    "notify": (services.notify_backorder_customer, gettext_lazy("已记录通知客户取件。")),
    "cancel": (services.cancel_backorder, gettext_lazy("缺货登记已取消。")),
}


@login_required
@require_POST
@idempotent
def backorder_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = request.user
    if step not in BACKORDER_STEPS:
        raise Http404("No such step")
    visible = (
        Backorder.objects.all()
        if user.sees_all_branches
        else Backorder.objects.filter(branch_id=user.branch_id)
    )
    if not visible.filter(pk=pk).exists():
        raise Http404("No such backorder")
    form = BackorderStepForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    action, success = BACKORDER_STEPS[step]
    extra = {}
    if step == "order":
        extra["expected_on"] = data.get("expected_on")
    elif step in ("contact", "cancel"):
        extra["note"] = data.get("note", "")
    run_service(request, lambda: action(backorder_id=pk, user=user, **extra), success)
    return redirect("parts:backorders")


# --- handover (移交) -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def handover_start(request: HttpRequest) -> HttpResponse:
    """The supervisor picks the leaving technician, names a successor for every item, and signs."""
    user = request.user
    require_screen(user, "parts:handover_start", message=_("只有服务主任可以办理移交。"))
    candidates = handovers.handover_candidates(user)
    technician = None
    raw = request.POST.get("technician") or request.GET.get("technician")
    if raw:
        try:
            technician = candidates.get(pk=int(raw))
        except (ValueError, User.DoesNotExist) as exc:
            raise Http404("No such technician") from exc
    items = handovers.open_items(technician) if technician else []
    successors = (
        candidates.filter(branch_id=technician.branch_id).exclude(pk=technician.pk) if technician else []
    )
    form = HandoverStartForm(request.POST or None)
    if request.method == "POST" and technician is not None:
        if form.is_valid():
            chosen = {str(s.pk): s for s in successors}
            default = request.POST.get("successor-all", "")
            assignments = {
                item.key: chosen.get(request.POST.get(f"successor-{item.key}") or default) for item in items
            }
            try:
                handover = handovers.perform_handover(
                    technician=technician,
                    supervisor=user,
                    reason=form.cleaned_data["reason"],
                    successors=assignments,
                )
            except UserError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("移交已完成并由您监交签字,移交单号 %(number)s。") % {"number": handover.number}
                )
                return redirect(handover)
        else:
            messages.error(request, _("请填写移交原因。"))
    history = Handover.objects.select_related("technician", "signed_by")
    if not user.sees_all_branches:
        history = history.filter(branch_id=user.branch_id)
    return render(
        request,
        "parts/handover_start.html",
        {
            "candidates": candidates,
            "technician": technician,
            "items": items,
            "successors": successors,
            "form": form,
            "history": history[:20],
        },
    )


def _access_handover(user, pk: int) -> Handover:
    handovers_visible = Handover.objects.select_related("technician", "signed_by", "branch")
    if user.is_technician_only:  # a technician sees their own handover, not a colleague's
        handovers_visible = handovers_visible.filter(technician=user)
    elif not user.sees_all_branches:
        handovers_visible = handovers_visible.filter(Q(branch_id=user.branch_id) | Q(technician=user))
    try:
        return handovers_visible.get(pk=pk)
    except Handover.DoesNotExist as exc:
        raise Http404("No such handover") from exc


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _access_handover(request.user, pk)
    technician = handover.technician
    if request.method == "POST":
        try:
            handovers.deactivate(user=technician, by=request.user)
        except UserError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("账号 %(name)s 已停用。") % {"name": technician})
        return redirect(handover)
    remaining = handovers.open_items(technician)
    return render(
        request,
        "parts/handover_detail.html",
        {
            "handover": handover,
            "items": handover.items.select_related("successor"),
            "remaining": remaining,
            "may_deactivate": technician.is_active
            and not remaining
            and (request.user.is_superuser or request.user.has_role(Role.SUPERVISOR, Role.ADMIN)),
        },
    )


@login_required
@require_GET
def handover_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _access_handover(request.user, pk)
    return pdf_response(handover_pdf(handover), f"{handover.number}.pdf")
