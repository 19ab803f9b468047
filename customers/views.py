from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.idempotency import idempotent
from aftersales.errors import UserError
from customers.forms import CustomerEditForm, UnitEditForm
from customers.models import Customer, Unit
from customers.selectors import customer_list, find_customers
from customers.services import edit_customer, edit_unit, may_edit_customer

PAGE_SIZE = 25


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(
        request,
        "customers/search_results.html",
        {"customers": find_customers(request.user, query), "query": query},
    )


@login_required
@require_GET
def customer_index(request: HttpRequest) -> HttpResponse:
    """客户: every customer this user may see, searched by phone, serial number or name."""
    query = request.GET.get("q", "").strip()
    page = Paginator(customer_list(request.user, query), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "query": f"q={query}" if query else ""}
    template = "customers/customer_list.html#results" if request.htmx else "customers/customer_list.html"
    return render(request, template, context)


def _editable_customer(user, pk: int) -> Customer:
    """404 outside the user's scope, 403 for those who may only read the customer."""
    try:
        customer = Customer.objects.visible_to(user).get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404("No such customer") from exc
    if not may_edit_customer(user, customer):
        raise PermissionDenied(_("只有本网点的客服/调度和服务主任可以修改客户资料。"))
    return customer


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _editable_customer(request.user, pk)
    phones = list(customer.phones.values_list("number", flat=True))
    form = CustomerEditForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(customer),  # the page keeps showing the saved values until it is saved
        initial={"phones": phones},
    )
    if form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "phones"}
        try:
            change = edit_customer(
                user=request.user, customer_id=pk, fields=fields, phones=form.cleaned_data["phones"]
            )
        except UserError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request, _("客户资料已保存,修改记录在下方。") if change else _("没有修改任何内容。")
            )
            return redirect(customer)
    elif request.method == "POST":
        messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(request, "customers/customer_edit.html", {"customer": customer, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        unit = Unit.objects.select_related("product_model", "owner").get(
            pk=pk, owner__in=Customer.objects.visible_to(request.user)
        )
    except Unit.DoesNotExist as exc:
        raise Http404("No such unit") from exc
    _editable_customer(request.user, unit.owner_id)
    form = UnitEditForm(request.POST if request.method == "POST" else None, instance=copy.copy(unit))
    if form.is_valid():
        try:
            change = edit_unit(user=request.user, unit_id=pk, fields=form.cleaned_data)
        except UserError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request, _("产品资料已保存,修改记录在下方。") if change else _("没有修改任何内容。")
            )
            return redirect(unit)
    elif request.method == "POST":
        messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(request, "customers/unit_edit.html", {"unit": unit, "form": form})
