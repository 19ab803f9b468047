"""A customer's and a unit's service history: the pages behind "客户" and "产品" links.

They live with the tickets because what they show is service history (tickets, vouchers, the verdict
counting earlier repairs); their addresses stay under /customers/.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from customers.models import Customer, Unit
from customers.services import may_edit_customer
from tickets.selectors import contract_visits, customer_tickets, unit_service_history
from warranty.models import MaintenanceContract


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = Customer.objects.visible_to(request.user).with_phones_and_units().get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404("No such customer") from exc
    tickets = customer_tickets(request.user, customer)[:50]
    changes = customer.changes.select_related("actor", "unit")[:50]
    context = {
        "customer": customer,
        "tickets": tickets,
        "changes": changes,
        "may_edit": may_edit_customer(request.user, customer),
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        unit = Unit.objects.select_related("product_model__warranty_policy", "owner").get(
            pk=pk, owner__in=Customer.objects.visible_to(request.user)
        )
    except Unit.DoesNotExist as exc:
        raise Http404("No such unit") from exc
    contracts = unit.owner.contracts.filter(Q(unit=unit) | Q(unit__isnull=True)).order_by("-end_date")
    context = {
        "unit": unit,
        "contracts": contracts,
        "changes": unit.changes.select_related("actor")[:50],
        "may_edit": may_edit_customer(request.user, unit.owner),
        **unit_service_history(request.user, unit),
    }
    return render(request, "customers/unit_detail.html", context)


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A maintenance contract's plan and its preventive visits: done, due and missed (overdue)."""
    try:
        contract = MaintenanceContract.objects.select_related(
            "customer", "unit__product_model", "coordinator"
        ).get(pk=pk, customer__in=Customer.objects.visible_to(request.user))
    except MaintenanceContract.DoesNotExist as exc:
        raise Http404("No such contract") from exc
    visits, counts = contract_visits(contract, timezone.localdate())
    context = {"contract": contract, "visits": visits, "counts": counts, "today": timezone.localdate()}
    return render(request, "tickets/contract_detail.html", context)
