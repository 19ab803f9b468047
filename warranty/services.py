"""Loading the inputs of a warranty verdict for a unit on file (the rules themselves are pure).

The count of earlier repairs of the same fault is given by the caller (`tickets.selectors`): this app
never reads tickets.
"""

from __future__ import annotations

import datetime

from customers.models import Unit
from warranty import rules
from warranty.models import MaintenanceContract


def decide_for_unit(
    unit: Unit,
    *,
    report_date: datetime.date,
    fault: str,
    prior_repairs_same_fault: int,
    conditions: frozenset[str] = frozenset(),
) -> rules.WarrantyDecision:
    terms = unit.product_model.warranty_policy.to_terms()
    request = rules.WarrantyRequest(
        purchase_date=unit.purchase_date,
        report_date=report_date,
        fault=rules.Fault(fault),
        conditions=conditions,
        prior_repairs_same_fault=prior_repairs_same_fault,
        purchase_proof=unit.has_purchase_proof,
        under_contract=MaintenanceContract.objects.covering(unit, report_date).exists(),
    )
    return rules.evaluate(terms, request)
