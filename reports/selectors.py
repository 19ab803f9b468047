"""Reads of the exports (reports.models.Export): who may open one, and a user's recent ones."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from reports.access import may_export_monthly
from reports.models import Export

RECENT_EXPORTS = 30


def may_open_export(user: User, export: Export) -> bool:
    """The requester; or someone who may run the same export over the same branch: the monthly report's
    roles (reports.access), any office role for the ticket list (not a technician, who sees only their
    own jobs), in the export's branch (headquarters: every branch; an all-branch export: headquarters)."""
    if export.user_id == user.pk:
        return True
    if export.kind == Export.Kind.MONTHLY_REPORT:
        allowed = may_export_monthly(user)
    else:
        allowed = user.is_active and not user.is_technician_only
    return allowed and user.in_branch(export.branch_id)


def access_export(user: User, pk: int) -> Export:
    """The export, or 404 for anyone who may not open it (whether it exists is not told)."""
    export = Export.objects.select_related("user").filter(pk=pk).first()
    if export is None or not may_open_export(user, export):
        raise Http404("No such export")
    return export


def exports_of(user: User):
    """我的导出: the user's own exports, newest first."""
    return Export.objects.filter(user=user).order_by("-created_at", "-pk")[:RECENT_EXPORTS]
