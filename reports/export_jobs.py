"""Long exports as Celery tasks (issue #20): the monthly report and the ticket list are built by
`reports.tasks.run_export` on the `reports` queue, written to the default storage (Django's storage API,
so S3 when configured) and downloaded from the export's page once done.

A run claims its export with one conditional UPDATE (queued → running), so a task delivered twice
builds the file once. While rows are written, the progress and the heartbeat are saved about once a
second, outside any transaction, so the page's bar moves as the file grows; an export whose worker died
stops beating and `purge` marks it failed, asking the user to export again.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.files import File
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from aftersales.exports import csv_lines, stream_xlsx
from reports.exports import monthly_report_chunks, monthly_survey_count
from reports.kpis import Scope
from reports.models import Export
from reports.periods import Month
from reports.ticket_export import ticket_rows, with_first_phone
from tickets.forms import TicketFilterForm
from tickets.selectors import clean_sort, filtered_tickets, sort_tickets

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 1.0
# A running export without progress for this long lost its worker (a month's PDF renders in seconds).
STALLED_AFTER = datetime.timedelta(minutes=30)
# A queued export no worker took for this long (the broker was down when it was asked for) is sent again.
REQUEUE_AFTER = datetime.timedelta(minutes=5)
FAILED_TEXT = gettext_noop("导出失败,请稍后重试;如果一再失败,请联系系统管理员。")
STALLED_TEXT = gettext_noop("导出中断(处理进程已停止),请重新导出。")


class Progress:
    """Counts the rows that go through `rows()` and saves the count about once a second."""

    def __init__(self, export_id: int) -> None:
        self.export_id, self.done, self.total, self._saved_at = export_id, 0, 0, time.monotonic()

    def step(self) -> None:
        self.done += 1
        if time.monotonic() - self._saved_at >= PROGRESS_SECONDS:
            self.save()

    def save(self) -> None:
        self._saved_at = time.monotonic()
        # Rows added after the count are written too; the bar stops at the count (a check constraint).
        done = min(self.done, self.total) if self.total else self.done
        Export.objects.filter(pk=self.export_id).update(progress_done=done, heartbeat_at=timezone.now())

    def rows(self, rows: Iterable) -> Iterator:
        """The listing's rows, the header included (it is the first row a worker writes)."""
        for row in rows:
            yield row
            self.step()


def claim(export_id: int, now: datetime.datetime) -> Export | None:
    claimed = Export.objects.filter(pk=export_id, state=Export.State.QUEUED).update(
        state=Export.State.RUNNING, started_at=now, heartbeat_at=now
    )
    return Export.objects.select_related("user", "branch").get(pk=export_id) if claimed else None


def _monthly(export: Export, progress: Progress) -> tuple[int, Iterator[bytes]]:
    scope = Scope(month=Month.parse(export.parameters["month"]), branch=export.branch)
    total = 1 + monthly_survey_count(scope) if export.fmt != "pdf" else 1
    return total, monthly_report_chunks(scope, export.fmt, counted=progress.rows)


def _ticket_list(export: Export, progress: Progress) -> tuple[int, Iterator[bytes]]:
    """The requester's ticket list for the filters and sort they had, as they may see it now."""
    query = QueryDict(export.parameters.get("query", ""))
    form = TicketFilterForm(query or None, user=export.user)
    tickets = sort_tickets(filtered_tickets(export.user, form), clean_sort(query.get("sort", "")))
    total = 1 + tickets.count()
    rows = progress.rows(ticket_rows(with_first_phone(tickets)))
    if export.fmt == "csv":
        return total, (line.encode() for line in csv_lines(rows))
    return total, stream_xlsx([(gettext("工单"), rows)])


BUILDERS = {Export.Kind.MONTHLY_REPORT: _monthly, Export.Kind.TICKET_LIST: _ticket_list}


def run(export_id: int) -> str:
    """Build the export's file if it is still to be built; returns the state it ends in."""
    export = claim(export_id, timezone.now())
    if export is None:
        return "skipped"
    progress = Progress(export.pk)
    try:
        with translation.override(export.parameters.get("language") or settings.LANGUAGE_CODE):
            total, chunks = BUILDERS[export.kind](export, progress)
            progress.total = total
            Export.objects.filter(pk=export.pk).update(progress_total=total)
            with tempfile.TemporaryFile() as spool:
                for chunk in chunks:
                    spool.write(chunk)
                spool.seek(0)
                export.file.save(export.filename, File(spool, name=export.filename), save=False)
    except Exception:
        logger.exception("Export %s failed", export.pk)
        Export.objects.filter(pk=export.pk).update(
            state=Export.State.FAILED, error=FAILED_TEXT, finished_at=timezone.now()
        )
        return Export.State.FAILED
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.DONE,
        file=export.file.name,
        progress_done=F("progress_total"),
        heartbeat_at=timezone.now(),
        finished_at=timezone.now(),
    )
    return Export.State.DONE


def purge(now: datetime.datetime) -> int:
    """Beat: remove exports (row and file) older than EXPORT_KEEP_DAYS, and fail the running ones whose
    worker stopped beating long ago. Returns how many were removed."""
    Export.objects.filter(state=Export.State.RUNNING, heartbeat_at__lt=now - STALLED_AFTER).update(
        state=Export.State.FAILED, error=STALLED_TEXT, finished_at=now
    )
    old = Export.objects.filter(created_at__lt=now - datetime.timedelta(days=settings.EXPORT_KEEP_DAYS))
    removed = 0
    for export in old.iterator():
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed


def waiting(now: datetime.datetime) -> list[int]:
    """Exports still queued long after they were asked for (their message was lost): to be sent again."""
    return list(
        Export.objects.filter(state=Export.State.QUEUED, created_at__lt=now - REQUEUE_AFTER).values_list(
            "pk", flat=True
        )
    )
