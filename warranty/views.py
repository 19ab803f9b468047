from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from customers.models import Customer
from warranty import rules
from warranty.models import MaintenanceContract


@login_required
@require_GET
def expiring_contracts(request: HttpRequest) -> HttpResponse:
    """Contracts ending within a month (§7-二十): the renewal visit is due."""
    today = timezone.localdate()
    contracts = (
        MaintenanceContract.objects.filter(
            end_date__gte=today,
            end_date__lte=rules.add_months(today, 1),
            customer__in=Customer.objects.visible_to(request.user),
        )
        .select_related("customer", "unit__product_model")
        .order_by("end_date", "number")
    )
    return render(request, "warranty/expiring_contracts.html", {"contracts": contracts, "today": today})
