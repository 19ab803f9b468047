"""Asking for a long export (reports.export_jobs): the Export row, and its task queued after commit."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone, translation

from accounts.models import User
from reports.exports import monthly_filename
from reports.kpis import Scope
from reports.models import Export
from reports.tasks import run_export

logger = logging.getLogger(__name__)


def _queue(export_id: int) -> None:
    try:
        run_export.apply_async(args=[export_id], retry=False)
    except Exception as exc:  # broker down: the request still succeeds; purge_exports sends it again
        logger.warning("Broker unreachable (%s); export %s waits for purge_exports.", exc, export_id)


def _start(**fields) -> Export:
    export = Export.objects.create(**fields)
    transaction.on_commit(lambda: _queue(export.pk))
    return export


def start_monthly_export(*, user: User, scope: Scope, fmt: str) -> Export:
    """The monthly satisfaction report of `scope` (already checked against the user's rights)."""
    return _start(
        user=user,
        kind=Export.Kind.MONTHLY_REPORT,
        fmt=fmt,
        branch=scope.branch,
        parameters={"month": str(scope.month), "language": translation.get_language()},
        filename=monthly_filename(scope, fmt),
    )


def start_ticket_export(*, user: User, query: str, fmt: str) -> Export:
    """The user's ticket list for the list's query string (filters and sort), rebuilt by the task."""
    now = timezone.localtime()
    return _start(
        user=user,
        kind=Export.Kind.TICKET_LIST,
        fmt=fmt,
        branch=None if user.sees_all_branches else user.branch,
        parameters={"query": query, "language": translation.get_language()},
        filename=f"tickets-{now:%Y%m%d-%H%M}.{fmt}",
    )
