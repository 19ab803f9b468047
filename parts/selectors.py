"""Read queries of the parts app that its views and the site's home page share."""

from __future__ import annotations

from django.db.models import Q

from parts.models import PartUsage, Requisition, Warehouse
from tickets.models import RepairTicket


def requisitions_to_issue(user):
    return Requisition.objects.visible_to(user).to_issue()


def outstanding_usages(user):
    """Part lines of signed reports that could not leave stock by themselves, on tickets this user sees."""
    return PartUsage.objects.filter(
        status=PartUsage.Status.OUTSTANDING,
        ticket__in=RepairTicket.objects.visible_to(user).values("pk"),
    )


def requisition_warehouses(ticket: RepairTicket):
    """Where a technician may ask for parts for this ticket: its branch's station stores and the central
    store (the requisition form's choices, on the page and in the API)."""
    return Warehouse.objects.filter(is_active=True).filter(
        Q(branch_id=ticket.branch_id, kind=Warehouse.Kind.STATION) | Q(kind=Warehouse.Kind.CENTRAL)
    )
