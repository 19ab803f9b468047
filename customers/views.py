from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from customers.models import Customer, CustomerPhone, FaultCategory, Unit
from customers.phones import search_key
from tickets.models import ServiceReport
from warranty.services import decide_for_unit, finished_repairs_by_fault

SEARCH_LIMIT = 10


def find_customers(user, query: str):
    """Customers matching a phone number (any form, prefix), a serial number or a name.

    Each way of matching is its own indexed lookup and their ids are united first: OR-ing them over
    joins made PostgreSQL walk every customer (1.2 s at 280,000 customers, docs/performance.md).
    """
    query = query.strip()
    if len(query) < 2:
        return Customer.objects.none()
    # Serial numbers are stored upper-case (NewUnitForm), so the unique field's pattern index serves this.
    matches = Unit.objects.filter(serial_number__startswith=query.upper()).order_by().values("owner_id")
    if not any(character.isdigit() for character in query):
        matches = matches.union(Customer.objects.filter(name__icontains=query).order_by().values("pk"))
    digits = search_key(query)
    if len(digits) >= 3:
        phones = Q(number__startswith=digits)
        if digits[0] not in "01" and len(digits) >= 7:
            # A landline typed without its area code (mobiles start with 1, area codes with 0).
            phones |= Q(number__endswith=digits)
        matches = matches.union(CustomerPhone.objects.filter(phones).order_by().values("customer_id"))
    return (
        Customer.objects.visible_to(user)
        .filter(pk__in=matches)
        .with_phones_and_units()
        .order_by("name")[:SEARCH_LIMIT]
    )


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(
        request,
        "customers/search_results.html",
        {"customers": find_customers(request.user, query), "query": query},
    )


def _visible_customer(user, pk: int) -> Customer:
    try:
        return Customer.objects.visible_to(user).with_phones_and_units().get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404("No such customer") from exc


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request.user, pk)
    tickets = customer.tickets.select_related("unit__product_model", "technician").order_by("-reported_at")[
        :50
    ]
    return render(request, "customers/customer_detail.html", {"customer": customer, "tickets": tickets})


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        unit = Unit.objects.select_related("product_model__warranty_policy", "owner").get(
            pk=pk, owner__in=Customer.objects.visible_to(request.user)
        )
    except Unit.DoesNotExist as exc:
        raise Http404("No such unit") from exc
    tickets = unit.tickets.select_related("technician").order_by("-reported_at")
    today_verdict = decide_for_unit(
        unit, report_date=timezone.localdate(), fault="quality", fault_category=unit.product_model.category
    )
    contracts = unit.owner.contracts.filter(Q(unit=unit) | Q(unit__isnull=True)).order_by("-end_date")
    return render(
        request,
        "customers/unit_detail.html",
        {
            "unit": unit,
            "tickets": tickets,
            "verdict": today_verdict.as_dict(),
            "contracts": contracts,
            # 服务凭证 history: every signed service report of this unit, in one query.
            "vouchers": ServiceReport.objects.filter(ticket__unit=unit, signed_at__isnull=False)
            .select_related("ticket")
            .order_by("-signed_at"),
            "repair_counts": [
                (FaultCategory(category).label, count)
                for category, count in finished_repairs_by_fault(unit).items()
            ],
        },
    )
