"""Loading the inputs of a warranty verdict for a unit on file (the rules themselves are pure)."""

from __future__ import annotations

import datetime

from django.db.models import Count

from customers.models import Unit
from tickets.models import RepairTicket, State
from warranty import rules
from warranty.models import MaintenanceContract


def finished_repairs_by_fault(unit: Unit) -> dict[str, int]:
    """Finished repairs per fault category: the unit's repeat-repair counters (§3 第八条, 三包)."""
    rows = (
        finished_repairs(unit).values("fault_category").annotate(count=Count("pk")).order_by("fault_category")
    )
    return {row["fault_category"]: row["count"] for row in rows}


def finished_repairs(unit: Unit):
    return RepairTicket.objects.filter(unit=unit, completed_at__isnull=False).exclude(state=State.CANCELLED)


def prior_repairs_same_fault(unit: Unit, fault_category: str, *, exclude_ticket_id: int | None = None) -> int:
    """Earlier finished repairs of the same kind of fault on this unit (§3 第八条)."""
    finished = finished_repairs(unit).filter(fault_category=fault_category)
    if exclude_ticket_id is not None:
        finished = finished.exclude(pk=exclude_ticket_id)
    return finished.count()


def decide_for_unit(
    unit: Unit,
    *,
    report_date: datetime.date,
    fault: str,
    fault_category: str,
    conditions: frozenset[str] = frozenset(),
    exclude_ticket_id: int | None = None,
) -> rules.WarrantyDecision:
    terms = unit.product_model.warranty_policy.to_terms()
    request = rules.WarrantyRequest(
        purchase_date=unit.purchase_date,
        report_date=report_date,
        fault=rules.Fault(fault),
        conditions=conditions,
        prior_repairs_same_fault=prior_repairs_same_fault(
            unit, fault_category, exclude_ticket_id=exclude_ticket_id
        ),
        purchase_proof=unit.has_purchase_proof,
        under_contract=MaintenanceContract.objects.covering(unit, report_date).exists(),
    )
    return rules.evaluate(terms, request)
