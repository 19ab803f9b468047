"""Read queries of the parts app that its views and the site's home page share."""

from __future__ import annotations

from parts.models import PartUsage, Requisition
from tickets.models import RepairTicket


def requisitions_to_issue(user):
    return Requisition.objects.visible_to(user).to_issue()


def outstanding_usages(user):
    """Part lines of signed reports that could not leave stock by themselves, on tickets this user sees."""
    return PartUsage.objects.filter(
        status=PartUsage.Status.OUTSTANDING,
        ticket__in=RepairTicket.objects.visible_to(user).values("pk"),
    )
