"""What the managers' approvals inbox (warranty/) lists from this app."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role
from parts.models import Requisition


def requisitions_awaiting(user) -> QuerySet[Requisition]:
    """Requisitions this user may approve or reject now, oldest first.

    The same rule as `parts.rules.approval_refusal`: a supervisor of the branch (headquarters: every
    branch), never on a requisition they asked for themselves. Each row has `number`, `ticket`,
    `requested_by`, `created_at` and `get_absolute_url()`.
    """
    if not (user.is_authenticated and user.is_active and user.has_role(Role.SUPERVISOR)):
        return Requisition.objects.none()
    waiting = Requisition.objects.filter(state=Requisition.State.SUBMITTED).exclude(requested_by=user)
    if not user.sees_all_branches:
        waiting = waiting.filter(branch_id=user.branch_id) if user.branch_id else waiting.none()
    return (
        waiting.select_related("ticket", "requested_by")
        .only(
            "number",
            "created_at",
            "ticket__number",
            "ticket__state",
            "requested_by__username",
            "requested_by__first_name",
            "requested_by__last_name",
        )
        .order_by("created_at", "pk")
    )
