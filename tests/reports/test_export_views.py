"""Long exports without a worker (issue #20): what the ticket list offers for a short and a long list, the
POST that records an export, the task's work run in this process (the same rows as the direct download),
a failure, a second run, 我的导出, and the purge. The worker itself: tests/reports/test_export_jobs.py."""

from __future__ import annotations

import csv
import datetime
import io
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from reports import export_jobs
from reports.models import Export
from reports.tasks import purge_exports
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def start_ticket_export(client, fmt: str, query: str) -> Export:
    response = client.post(
        reverse("reports:ticket_export_start"),
        {"fmt": fmt, "query": query, "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    export = Export.objects.latest("pk")
    assert response["Location"] == export.get_absolute_url()
    return export


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_short_list_downloads_at_once_and_a_long_one_goes_to_a_worker(
    client, dispatcher, branch_a, settings
):
    TicketFactory.create_batch(3, unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    settings.EXPORT_DIRECT_MAX_ROWS = 3
    page = client.get(reverse("tickets:list")).content.decode()
    assert f'href="{reverse("reports:ticket_export", args=["csv"])}?' in page
    assert reverse("reports:ticket_export_start") not in page
    settings.EXPORT_DIRECT_MAX_ROWS = 2
    page = client.get(reverse("tickets:list")).content.decode()
    assert reverse("reports:ticket_export_start") in page and 'data-testid="export-csv"' in page


def test_the_workers_file_holds_the_rows_the_direct_download_gives(client, dispatcher, branch_a, branch_b):
    TicketFactory(unit__owner__branch=branch_a, number="SH-2", fault_description="=1+1 不制冷")
    TicketFactory(unit__owner__branch=branch_a, number="SH-1")
    TicketFactory(unit__owner__branch=branch_a, number="SH-3", dispatched=True)
    TicketFactory(unit__owner__branch=branch_b, number="HZ-1")
    client.force_login(dispatcher)
    export = start_ticket_export(client, "csv", "state=reported&sort=-number")
    assert (export.state, export.branch, export.kind) == (
        Export.State.QUEUED,
        branch_a,
        Export.Kind.TICKET_LIST,
    )

    assert export_jobs.run(export.pk) == Export.State.DONE
    assert export_jobs.run(export.pk) == "skipped"  # delivered twice: built once
    export.refresh_from_db()
    assert (export.progress_done, export.progress_total) == (3, 3)  # the header and two tickets
    response = client.get(reverse("reports:export_download", args=[export.pk]))
    rows = csv_rows(b"".join(response.streaming_content))
    direct = client.get(
        reverse("reports:ticket_export", args=["csv"]), {"state": "reported", "sort": "-number"}
    )
    assert rows == csv_rows(b"".join(direct.streaming_content))
    assert [row[0] for row in rows[1:]] == ["SH-2", "SH-1"] and "'=1+1 不制冷" in rows[1]
    assert default_storage.exists(export.file.name)


def test_a_failed_export_says_so_in_chinese_and_in_english(client, dispatcher, monkeypatch):
    client.force_login(dispatcher)
    export = start_ticket_export(client, "xlsx", "")

    def broken(export, progress):
        raise RuntimeError("disk full")

    monkeypatch.setitem(export_jobs.BUILDERS, Export.Kind.TICKET_LIST, broken)
    assert export_jobs.run(export.pk) == Export.State.FAILED
    page = client.get(export.get_absolute_url()).content.decode()
    assert "导出失败,请稍后重试" in page and "hx-trigger" not in page
    assert client.get(reverse("reports:export_download", args=[export.pk])).status_code == 404
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "The export failed" in client.get(export.get_absolute_url()).content.decode()


def test_my_exports_lists_mine_only_in_a_constant_number_of_queries(
    client, persona, branch_a, django_assert_max_num_queries
):
    mine, theirs = persona(Role.MANAGER), persona(Role.MANAGER, username="other_manager")
    for user in (mine, theirs):
        Export.objects.create(
            user=user, kind=Export.Kind.TICKET_LIST, fmt="csv", branch=branch_a, filename="tickets.csv"
        )
    client.force_login(mine)
    client.get(reverse("reports:exports"))
    with django_assert_max_num_queries(8):
        html = client.get(reverse("reports:exports")).content.decode()
    for _ in range(10):
        Export.objects.create(user=mine, kind=Export.Kind.MONTHLY_REPORT, fmt="pdf", filename="x.pdf")
    with django_assert_max_num_queries(8):
        html = client.get(reverse("reports:exports")).content.decode()
    mine_ids = Export.objects.filter(user=mine).values_list("pk", flat=True)
    assert all(reverse("reports:export_detail", args=[pk]) in html for pk in mine_ids)
    other = Export.objects.get(user=theirs)
    assert reverse("reports:export_detail", args=[other.pk]) not in html


def test_the_monthly_export_needs_a_known_format_and_the_role(client, persona):
    client.force_login(persona(Role.MANAGER))
    body = {"month": "2026-10", "idempotency_key": str(uuid.uuid4())}
    assert client.post(reverse("reports:monthly_export_start"), {**body, "fmt": "doc"}).status_code == 400
    client.force_login(persona(Role.SUPERVISOR))
    assert client.post(reverse("reports:monthly_export_start"), {**body, "fmt": "pdf"}).status_code == 403
    assert not Export.objects.exists()


def test_the_purge_removes_old_files_fails_stalled_runs_and_sends_lost_ones_again(
    dispatcher, settings, monkeypatch
):
    settings.EXPORT_KEEP_DAYS = 7
    now = timezone.now()

    def export(**fields) -> Export:
        return Export.objects.create(
            user=dispatcher, kind=Export.Kind.TICKET_LIST, fmt="csv", filename="tickets.csv", **fields
        )

    old = export(
        created_at=now - datetime.timedelta(days=8), file=ContentFile(b"old", name="a.csv"), state="done"
    )
    kept = export(
        created_at=now - datetime.timedelta(days=6), file=ContentFile(b"kept", name="b.csv"), state="done"
    )
    stalled = export(state=Export.State.RUNNING, heartbeat_at=now - datetime.timedelta(hours=1))
    lost = export(state=Export.State.QUEUED, created_at=now - datetime.timedelta(minutes=6))
    export(state=Export.State.QUEUED)  # just asked for: its message is on the way
    sent = []
    monkeypatch.setattr("reports.tasks.run_export.apply_async", lambda args, **options: sent.append(args[0]))

    assert purge_exports() == 1
    assert not Export.objects.filter(pk=old.pk).exists() and not default_storage.exists(old.file.name)
    assert default_storage.exists(kept.file.name)
    stalled.refresh_from_db()
    assert stalled.state == Export.State.FAILED and "导出中断" in stalled.error
    assert sent == [lost.pk]
