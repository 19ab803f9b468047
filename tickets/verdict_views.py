"""The live warranty verdict beside the call intake form (htmx)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import Customer, ProductModel, Unit
from tickets.models import FaultCause
from tickets.selectors import verdict_for_unit
from warranty import rules


def _preview_decision(user, data) -> rules.WarrantyDecision | None:
    """The verdict for what the intake form holds so far, or None while it is incomplete."""
    today = timezone.localdate()
    fault = data.get("fault_cause") or FaultCause.QUALITY
    if fault not in FaultCause.values:
        return None
    conditions = frozenset(data.getlist("conditions")) & rules.ALL_CONDITIONS
    unit_id = data.get("unit")
    if unit_id and unit_id.isdigit():
        unit = (
            Unit.objects.select_related("product_model__warranty_policy")
            .filter(pk=int(unit_id), owner__in=Customer.objects.visible_to(user))
            .first()
        )
        if unit is None:
            return None
        return verdict_for_unit(
            unit,
            report_date=today,
            fault=fault,
            fault_category=data.get("fault_category") or unit.product_model.category,
            conditions=conditions,
        )
    model_id = data.get("unit-product_model")
    product_model = (
        ProductModel.objects.select_related("warranty_policy").filter(pk=int(model_id)).first()
        if model_id and model_id.isdigit()
        else None
    )
    if product_model is None:
        return None
    try:
        purchase_date = datetime.date.fromisoformat(data.get("unit-purchase_date", ""))
    except ValueError:
        purchase_date = None
    if purchase_date is not None and purchase_date > today:
        return None
    terms = product_model.warranty_policy.to_terms()
    request = rules.WarrantyRequest(
        purchase_date=purchase_date,
        report_date=today,
        fault=rules.Fault(fault),
        conditions=conditions,
        purchase_proof=purchase_date is not None and bool(data.get("unit-purchase_place", "").strip()),
    )
    return rules.evaluate(terms, request)


@login_required
@require_POST
def verdict_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the live warranty verdict beside the call intake form."""
    try:
        decision = _preview_decision(request.user, request.POST)
    except rules.InvalidWarrantyRequest as exc:
        return render(request, "warranty/_verdict.html", {"decision": None, "errors": exc.errors.values()})
    return render(request, "warranty/_verdict.html", {"decision": decision.as_dict() if decision else None})
