"""Screens of the parts app: warehouse keepers (receive, issue, old parts in, counts), technicians
(my van, my requisitions, my outstanding old parts: tablet pages), supervisors (approvals)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.bounds import bad_filter_response, filter_status
from aftersales.errors import UserError
from parts import services
from parts.access import (
    access_claim,
    access_receiving_note,
    access_requisition,
    access_warehouse,
    page_of,
    part_codes_context,
    require_role,
    run_service,
)
from parts.documents import monthly_old_parts_pdf, receiving_note_pdf, requisition_pdf
from parts.forms import (
    AdjustmentForm,
    ClaimFilterForm,
    ClaimForm,
    ClaimStepForm,
    DecisionForm,
    DisposeForm,
    MonthForm,
    ReceiptLineFormSet,
    ReceiveOldPartForm,
    ReceivingNoteForm,
    RequisitionFilterForm,
    RequisitionForm,
    RequisitionLineFormSet,
    ResolveUsageForm,
    SearchForm,
)
from parts.models import (
    ISSUABLE_STATES,
    Condition,
    OldPart,
    Part,
    PartUsage,
    ReceivingNote,
    Requisition,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierClaim,
    Warehouse,
)
from parts.permissions import may_see_cost_prices
from parts.rules import Actor, approval_refusal, recovery_rate
from parts.screens import require_screen
from parts.selectors import outstanding_usages, requisition_warehouses, requisitions_to_issue
from tickets.access import access_ticket
from tickets.documents import pdf_response
from tickets.models import RepairTicket

KEEPER_ROLES = (Role.WAREHOUSE,)


# --- home, catalogue, warehouses -----------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_technician_only:
        return redirect("parts:my_van")
    visible_requisitions = Requisition.objects.visible_to(user)
    counts = {
        "awaiting_approval": visible_requisitions.filter(state=Requisition.State.SUBMITTED).count(),
        "to_issue": requisitions_to_issue(user).count(),
        "old_parts_expected": OldPart.objects.visible_to(user).outstanding().count(),
        "usages_outstanding": outstanding_usages(user).count(),
    }
    return render(request, "parts/home.html", {"counts": counts})


def _visible_ticket_ids(user):
    return RepairTicket.objects.visible_to(user).values("pk")


@login_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    parts = Part.objects.select_related("supplier").prefetch_related("compatible_models").order_by("code")
    if form.is_valid() and form.cleaned_data["q"].strip():
        q = form.cleaned_data["q"].strip()
        parts = parts.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(specification__icontains=q))
    page, query = page_of(request, parts)
    context = {"form": form, "page": page, "query": query, "show_cost": may_see_cost_prices(request.user)}
    return render(request, "parts/catalogue.html", context)


@login_required
@require_GET
def warehouse_list(request: HttpRequest) -> HttpResponse:
    warehouses = (
        Warehouse.objects.visible_to(request.user)
        .select_related("branch", "technician")
        .annotate(
            units=Coalesce(Sum("levels__on_hand", filter=Q(levels__condition=Condition.GOOD)), 0),
            old_units=Coalesce(Sum("levels__on_hand", filter=Q(levels__condition=Condition.OLD)), 0),
        )
        .order_by("branch__code", "kind", "code")
    )
    page, query = page_of(request, warehouses)
    return render(request, "parts/warehouse_list.html", {"page": page, "query": query})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def warehouse_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Stock of one warehouse and its ledger; keepers enter a count (盘点) here."""
    warehouse = access_warehouse(request.user, pk)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if run_service(
                request,
                lambda: services.adjust_stock(
                    user=request.user,
                    warehouse=warehouse,
                    part=data["part"],
                    counted=data["counted"],
                    reason=data["reason"],
                ),
                lambda diff: (
                    _("盘点已登记:%(part)s 调整 %(diff)+d。") % {"part": data["part"], "diff": diff}
                    if diff
                    else _("盘点数量与账面一致,无需调整。")
                ),
            ):
                return redirect(warehouse)
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    levels = (
        StockLevel.objects.filter(warehouse=warehouse)
        .filter(Q(on_hand__gt=0) | Q(condition=Condition.GOOD))
        .select_related("part")
        .order_by("condition", "part__code")
    )
    movements = StockMovement.objects.filter(warehouse=warehouse).select_related("part", "actor")
    page, query = page_of(request, movements)
    return render(
        request,
        "parts/warehouse_detail.html",
        {
            "warehouse": warehouse,
            "levels": levels,
            "page": page,
            "query": query,
            "form": form,
            "may_count": request.user.has_role(Role.WAREHOUSE) and not warehouse.is_van,
            **part_codes_context(),
        },
    )


# --- receiving notes -------------------------------------------------------------------------------


@login_required
@require_GET
def receiving_list(request: HttpRequest) -> HttpResponse:
    notes = (
        ReceivingNote.objects.filter(warehouse__in=Warehouse.objects.visible_to(request.user))
        .select_related("warehouse", "supplier", "received_by")
        .annotate(line_count=Count("lines"))
        .order_by("-received_at", "-pk")
    )
    form = SearchForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["q"].strip():
        notes = notes.filter(number__icontains=form.cleaned_data["q"].strip())
    page, query = page_of(request, notes)
    return render(request, "parts/receiving_list.html", {"page": page, "query": query, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def receive(request: HttpRequest) -> HttpResponse:
    """备用件接收单: the keeper enters what arrived; the ledger and the note are written together."""
    user = request.user
    require_screen(user, "parts:receive", message=_("只有库管可以办理入库。"))
    data = request.POST if request.method == "POST" else None
    form = ReceivingNoteForm(data, warehouses=services.keeper_warehouses(user))
    lines = ReceiptLineFormSet(data, prefix="lines")
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            head = form.cleaned_data
            receipt_lines = [
                services.ReceiptLine(
                    part=line["part"], quantity=line["quantity"], unit_cost=line.get("unit_cost")
                )
                for line in lines.lines()
            ]
            try:
                note = services.receive_parts(
                    user=user,
                    warehouse=head["warehouse"],
                    lines=receipt_lines,
                    supplier=head["supplier"],
                    delivery_reference=head["delivery_reference"],
                    note=head["note"],
                )
            except UserError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("已入库,接收单号 %(number)s。可打印一式二份。") % {"number": note.number}
                )
                return redirect(note)
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(request, "parts/receive.html", {"form": form, "lines": lines, **part_codes_context()})


@login_required
@require_GET
def receiving_note(request: HttpRequest, pk: int) -> HttpResponse:
    note = access_receiving_note(request.user, pk)
    return render(
        request, "parts/receiving_note.html", {"note": note, "lines": note.lines.select_related("part")}
    )


@login_required
@require_GET
def receiving_note_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    note = access_receiving_note(request.user, pk)
    return pdf_response(receiving_note_pdf(note), f"{note.number}.pdf")


# --- requisitions ----------------------------------------------------------------------------------


@login_required
@require_GET
def requisition_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = RequisitionFilterForm(request.GET or None)
    requisitions = Requisition.objects.visible_to(user).for_list()
    if form.is_valid():
        state = form.cleaned_data["state"]
        if state == "to_issue":
            requisitions = requisitions.to_issue()
        elif state:
            requisitions = requisitions.filter(state=state)
        q = form.cleaned_data["q"].strip()
        if q:
            requisitions = requisitions.filter(Q(number__icontains=q) | Q(ticket__number__icontains=q))
    page, query = page_of(request, requisitions)
    if user.is_technician_only:
        my_tickets = RepairTicket.objects.for_technician(user)
        context = {"page": page, "query": query, "my_tickets": my_tickets}
        return render(request, "parts/my_requisitions.html", context)
    return render(request, "parts/requisition_list.html", {"form": form, "page": page, "query": query})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def requisition_new(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    user = request.user
    ticket = access_ticket(user, ticket_pk)
    if not (user.has_role(Role.TECHNICIAN) and ticket.technician_id == user.pk):
        raise PermissionDenied(_("只有该工单的技术员可以为其申请领料。"))
    warehouses = requisition_warehouses(ticket)
    data = request.POST if request.method == "POST" else None
    form = RequisitionForm(
        data, warehouses=warehouses, initial={"warehouse": warehouses.filter(kind="station").first()}
    )
    lines = RequisitionLineFormSet(data, prefix="lines")
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            try:
                requisition = services.submit_requisition(
                    user=user,
                    ticket=ticket,
                    warehouse=form.cleaned_data["warehouse"],
                    lines=[(line["part"], line["quantity"]) for line in lines.lines()],
                    reason=form.cleaned_data["reason"],
                )
            except UserError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("领料单 %(number)s 已提交,等待服务主任审批。") % {"number": requisition.number}
                )
                return redirect(requisition)
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(
        request,
        "parts/requisition_new.html",
        {"ticket": ticket, "form": form, "lines": lines, **part_codes_context()},
    )


@login_required
@require_GET
def requisition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    requisition = access_requisition(user, pk)
    lines = list(requisition.lines.select_related("part"))
    levels = dict(
        StockLevel.objects.filter(
            warehouse=requisition.warehouse,
            condition=Condition.GOOD,
            part_id__in=[line.part_id for line in lines],
        ).values_list("part_id", "on_hand")
    )
    for line in lines:
        line.available = levels.get(line.part_id, 0)
        line.in_hand = line.issued - line.returned
        line.value = line.part.market_price * line.quantity
    refusal = approval_refusal(
        Actor.of(user),
        requester_id=requisition.requested_by_id,
        branch_id=requisition.branch_id,
    )
    is_keeper = user.has_role(Role.WAREHOUSE) and user.in_branch(requisition.warehouse.branch_id)
    return render(
        request,
        "parts/requisition_detail.html",
        {
            "requisition": requisition,
            "lines": lines,
            "total_value": sum(line.value for line in lines),
            "may_decide": requisition.state == Requisition.State.SUBMITTED and refusal is None,
            "may_issue": is_keeper and requisition.state in ISSUABLE_STATES,
            "may_return": is_keeper and requisition.state in services.RETURNABLE,
            "touch": user.is_technician_only,
        },
    )


@login_required
@require_GET
def requisition_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = access_requisition(request.user, pk)
    return pdf_response(requisition_pdf(requisition), f"{requisition.number}.pdf")


@login_required
@require_POST
@idempotent
def requisition_decide(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = access_requisition(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("提交的内容无效,请刷新页面后重试。"))
        return redirect(requisition)
    approve = form.cleaned_data["decision"] == "approve"
    run_service(
        request,
        lambda: services.decide_requisition(
            requisition_id=requisition.pk, user=request.user, approve=approve, note=form.cleaned_data["note"]
        ),
        (_("已批准领料单 %(number)s,库管可以发料。") if approve else _("已驳回领料单 %(number)s。"))
        % {"number": requisition.number},
    )
    return redirect(requisition)


def _line_quantities(request: HttpRequest, requisition: Requisition, prefix: str) -> dict[int, int] | None:
    quantities = {}
    for line in requisition.lines.all():
        raw = request.POST.get(f"{prefix}-{line.pk}", "").strip() or "0"
        try:
            quantities[line.pk] = int(raw)
        except ValueError:
            messages.error(request, _("配件 %(part)s 的数量必须是整数。") % {"part": line.part})
            return None
    return quantities


@login_required
@require_POST
@idempotent
def requisition_issue(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = access_requisition(request.user, pk)
    quantities = _line_quantities(request, requisition, "issue")
    if quantities is not None:
        run_service(
            request,
            lambda: services.issue_requisition(
                requisition_id=requisition.pk, user=request.user, quantities=quantities
            ),
            lambda r: (
                _("已发放,领料单 %(number)s 当前状态:%(state)s。")
                % {"number": r.number, "state": r.get_state_display()}
            ),
        )
    return redirect(requisition)


@login_required
@require_POST
@idempotent
def requisition_return(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = access_requisition(request.user, pk)
    quantities = _line_quantities(request, requisition, "return")
    if quantities is not None:
        run_service(
            request,
            lambda: services.return_unused(
                requisition_id=requisition.pk, user=request.user, quantities=quantities
            ),
            _("未用件已退库。"),
        )
    return redirect(requisition)


@login_required
@require_POST
@idempotent
def requisition_close(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = access_requisition(request.user, pk)
    run_service(
        request,
        lambda: services.close_requisition(requisition_id=requisition.pk, user=request.user),
        _("领料单 %(number)s 已结清。") % {"number": requisition.number},
    )
    return redirect(requisition)


# --- the technician's pages (tablet) ------------------------------------------------------------


@login_required
@require_GET
def my_van(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_role(user, Role.TECHNICIAN, message=_("只有技术员有车载库。"))
    van = services.van_of(user)
    levels = (
        StockLevel.objects.filter(warehouse=van, on_hand__gt=0).select_related("part").order_by("part__code")
        if van
        else StockLevel.objects.none()
    )
    return render(request, "parts/my_van.html", {"van": van, "levels": levels})


@login_required
@require_GET
def my_old_parts(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_role(user, Role.TECHNICIAN, message=_("只有技术员有待返旧件。"))
    old_parts = (
        OldPart.objects.filter(technician=user, state=OldPart.State.EXPECTED)
        .select_related("part", "usage__ticket", "usage__report_part")
        .order_by("created_at", "pk")
    )
    unsettled = list(
        PartUsage.objects.filter(technician=user, written_off_at__isnull=True)
        .exclude(status=PartUsage.Status.DISMISSED)
        .select_related("part", "ticket", "report_part__report", "old_part")
        .order_by("created_at", "pk")
    )
    for usage in unsettled:
        # Why it is still on the technician (§1-3.7.4): shown beside each line.
        usage.blockers = [usage.problem_text] if usage.problem else services.write_off_blockers(usage)
    return render(request, "parts/my_old_parts.html", {"old_parts": old_parts, "unsettled": unsettled})


# --- old parts, usages, monthly processing -------------------------------------------------------


@login_required
@require_GET
def old_parts(request: HttpRequest) -> HttpResponse:
    """Old parts expected back, for the keeper to receive against the report (§1-3.7.4)."""
    user = request.user
    require_screen(user, "parts:old_parts", message=_("您没有权限查看旧件。"))
    form = SearchForm(request.GET or None)
    rows = (
        OldPart.objects.visible_to(user)
        .outstanding()
        .select_related("part", "technician", "usage__ticket")
        .order_by("created_at", "pk")
    )
    if form.is_valid() and form.cleaned_data["q"].strip():
        q = form.cleaned_data["q"].strip()
        rows = rows.filter(
            Q(usage__ticket__number__icontains=q)
            | Q(part__code__icontains=q)
            | Q(removed_serial__icontains=q)
        )
    page, query = page_of(request, rows)
    return render(
        request,
        "parts/old_parts.html",
        {
            "page": page,
            "query": query,
            "form": form,
            # One list for every row's <select> (a form field per row would query once per row).
            "warehouses": list(services.keeper_warehouses(user)),
            "is_keeper": user.has_role(Role.WAREHOUSE),
        },
    )


@login_required
@require_POST
@idempotent
def old_part_receive(request: HttpRequest, pk: int) -> HttpResponse:
    old_part = _access_old_part(request.user, pk)
    form = ReceiveOldPartForm(request.POST, warehouses=services.keeper_warehouses(request.user))
    if not form.is_valid():
        messages.error(request, _("请选择入库仓库。"))
    else:
        run_service(
            request,
            lambda: services.receive_old_part(
                old_part_id=old_part.pk, user=request.user, warehouse=form.cleaned_data["warehouse"]
            ),
            lambda received: (
                (
                    _("旧件已入库,工单 %(number)s 的配件已销帐。")
                    if received.usage.written_off_at
                    else _("旧件已入库;工单 %(number)s 经服务主任验收后配件即销帐。")
                )
                % {"number": received.usage.ticket.number}
            ),
        )
    return redirect("parts:old_parts")


def _access_old_part(user, pk: int) -> OldPart:
    try:
        return OldPart.objects.visible_to(user).select_related("usage__ticket", "part").get(pk=pk)
    except OldPart.DoesNotExist as exc:
        raise Http404("No such old part") from exc


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as an aware [start, end) in Shanghai time."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime(month.year, month.month, 1, tzinfo=zone)
    next_month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    end = datetime.datetime(next_month.year, next_month.month, 1, tzinfo=zone)
    return start, end


def monthly_old_part_rows(user, month: datetime.date):
    start, end = month_bounds(month)
    return (
        OldPart.objects.visible_to(user)
        .filter(received_at__gte=start, received_at__lt=end)
        .select_related("part__supplier", "technician", "usage__ticket", "warehouse", "claim")
        .order_by("received_at", "pk")
    )


def _month_from(request: HttpRequest) -> tuple[MonthForm, datetime.date]:
    """The month asked for, else this month (also when the form names an error)."""
    form = MonthForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["month"]:
        return form, form.cleaned_data["month"]
    return form, timezone.localdate().replace(day=1)


@login_required
@require_GET
def old_parts_monthly(request: HttpRequest) -> HttpResponse:
    """每月旧件处理 (§1-3.7.5): the month's old parts and what became of them."""
    user = request.user
    require_screen(user, "parts:old_parts_monthly", message=_("您没有权限查看旧件。"))
    form, month = _month_from(request)
    rows = monthly_old_part_rows(user, month)
    page, query = page_of(request, rows)
    return render(
        request,
        "parts/old_parts_monthly.html",
        {
            "form": form,
            "month": month,
            "page": page,
            "query": query,
            "dispose_form": DisposeForm(),
            "is_keeper": user.has_role(Role.WAREHOUSE),
        },
        status=filter_status(form),
    )


@login_required
@require_GET
def old_parts_monthly_pdf(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_screen(user, "parts:old_parts_monthly", message=_("您没有权限查看旧件。"))
    form, month = _month_from(request)
    if form.errors:
        return bad_filter_response(form)
    return pdf_response(
        monthly_old_parts_pdf(monthly_old_part_rows(user, month), month), f"old-parts-{month:%Y-%m}.pdf"
    )


@login_required
@require_POST
@idempotent
def old_part_dispose(request: HttpRequest, pk: int) -> HttpResponse:
    old_part = _access_old_part(request.user, pk)
    form = DisposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择处理方式。"))
    else:
        run_service(
            request,
            lambda: services.dispose_old_part(
                old_part_id=old_part.pk,
                user=request.user,
                disposition=form.cleaned_data["disposition"],
                note=form.cleaned_data["note"],
            ),
            lambda op: _("旧件 %(part)s:%(state)s。") % {"part": op, "state": op.get_state_display()},
        )
    month = timezone.localtime(old_part.received_at).date() if old_part.received_at else timezone.localdate()
    return redirect(f"{reverse('parts:old_parts_monthly')}?month={month:%Y-%m}")


@login_required
@require_GET
def usages_outstanding(request: HttpRequest) -> HttpResponse:
    """Report part lines that could not leave stock by themselves (unknown code, van short)."""
    user = request.user
    require_screen(user, "parts:usages_outstanding", message=_("您没有权限查看配件耗用。"))
    rows = (
        outstanding_usages(user)
        .select_related("part", "technician", "ticket", "report_part")
        .order_by("created_at", "pk")
    )
    page, query = page_of(request, rows)
    return render(
        request,
        "parts/usages_outstanding.html",
        {
            "page": page,
            "query": query,
            "warehouses": list(Warehouse.objects.visible_to(user).filter(is_active=True)),
            "is_keeper": user.has_role(Role.WAREHOUSE),
            **part_codes_context(),
        },
    )


@login_required
@require_POST
@idempotent
def usage_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        usage = PartUsage.objects.get(pk=pk, ticket__in=_visible_ticket_ids(user))
    except PartUsage.DoesNotExist as exc:
        raise Http404("No such usage") from exc
    form = ResolveUsageForm(
        request.POST, warehouses=Warehouse.objects.visible_to(user).filter(is_active=True)
    )
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
    else:
        data = form.cleaned_data
        run_service(
            request,
            lambda: services.resolve_usage(
                usage_id=usage.pk,
                user=user,
                warehouse=data["warehouse"],
                part=data["part"],
                note=data["note"],
            ),
            _("已处理。"),
        )
    return redirect("parts:usages_outstanding")


# --- supplier recovery (二次索赔) ---------------------------------------------------------------


@login_required
@require_GET
def claim_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_screen(user, "parts:claims", message=_("您没有权限查看二次索赔。"))
    form = ClaimFilterForm(request.GET or None)
    claims = SupplierClaim.objects.visible_to(user).select_related("supplier", "branch")
    if form.is_valid() and form.cleaned_data["state"]:
        claims = claims.filter(state=form.cleaned_data["state"])
    page, query = page_of(request, claims)
    return render(request, "parts/claim_list.html", {"page": page, "query": query, "form": form})


def claimable_old_parts(user):
    return (
        OldPart.objects.visible_to(user)
        .filter(claim__isnull=True, part__supplier__isnull=False)
        .exclude(state=OldPart.State.EXPECTED)
        .select_related("part__supplier", "usage__ticket")
        .order_by("part__supplier__code", "received_at")
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def claim_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_screen(user, "parts:claim_new", message=_("您没有权限办理二次索赔。"))
    form = ClaimForm(request.POST or None, old_parts=claimable_old_parts(user))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.create_claim(
                    user=user,
                    supplier=data["supplier"],
                    old_part_ids=[op.pk for op in data["old_parts"]],
                    labour_cost=data["labour_cost"],
                    shipping_cost=data["shipping_cost"],
                    note=data["note"],
                )
            except UserError as exc:
                field = getattr(exc, "field", None)
                form.add_error(field if field in form.fields else None, str(exc))
                messages.error(request, str(exc))
            else:
                messages.success(request, _("索赔单 %(number)s 已建立(草稿)。") % {"number": claim.number})
                return redirect(claim)
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(request, "parts/claim_new.html", {"form": form})


@login_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_screen(request.user, "parts:claims", message=_("您没有权限查看二次索赔。"))
    claim = access_claim(request.user, pk)
    old_parts_of_claim = claim.old_parts.select_related("part", "usage__ticket")
    return render(
        request,
        "parts/claim_detail.html",
        {
            "claim": claim,
            "old_parts": old_parts_of_claim,
            "steps": _claim_steps(claim),
            "step_form": ClaimStepForm(),
        },
    )


STEP_LABELS = {
    "send": gettext_lazy("发给供应商"),
    "accept": gettext_lazy("供应商接受"),
    "reject": gettext_lazy("供应商拒绝"),
    "pay": gettext_lazy("登记回款"),
}


def _claim_steps(claim: SupplierClaim) -> list[dict]:
    return [
        {"name": name, "label": STEP_LABELS[name]}
        for name, (sources, _target, _stamp) in services.CLAIM_STEPS.items()
        if claim.state in sources
    ]


@login_required
@require_POST
@idempotent
def claim_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    claim = access_claim(request.user, pk)
    form = ClaimStepForm(request.POST)
    amount = form.cleaned_data["amount"] if form.is_valid() else None
    run_service(
        request,
        lambda: services.advance_claim(claim_id=claim.pk, user=request.user, step=step, amount=amount),
        lambda c: (
            _("索赔单 %(number)s 当前状态:%(state)s。") % {"number": c.number, "state": c.get_state_display()}
        ),
    )
    return redirect(claim)


@login_required
@require_GET
def recovery_report(request: HttpRequest) -> HttpResponse:
    """Recovery rate by supplier: recovered ÷ claimed, over claims that were sent."""
    user = request.user
    require_screen(user, "parts:recovery_report", message=_("您没有权限查看二次索赔。"))
    money = DecimalField(max_digits=14, decimal_places=2)
    sent_states = [s for s in SupplierClaim.State.values if s != SupplierClaim.State.DRAFT]
    claims = SupplierClaim.objects.visible_to(user).filter(state__in=sent_states)
    rows = list(
        Supplier.objects.filter(claims__in=claims)
        .annotate(
            claim_count=Count("claims", distinct=True),
            claimed=Coalesce(
                Sum("claims__parts_cost") + Sum("claims__labour_cost") + Sum("claims__shipping_cost"),
                Value(Decimal(0)),
                output_field=money,
            ),
            recovered=Coalesce(Sum("claims__amount_recovered"), Value(Decimal(0)), output_field=money),
        )
        .order_by("code")
    )
    for row in rows:
        row.rate = recovery_rate(row.claimed, row.recovered)
    return render(request, "parts/recovery_report.html", {"rows": rows})
