"""A long export never delays an SLA alert (issue #20): two real workers as `make run` and docker-compose
start them — one for `alerts,default`, one for `reports` — on Redis and this test's PostgreSQL. While the
reports worker is busy with a deliberately slow export (tests/slow_exports.py: seconds per row), an SLA
sweep queued after it runs at once on the alerts worker, and the breach alert is stored before the
export is done."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import Role
from reports.kpis import Scope
from reports.models import Export
from reports.periods import Month
from reports.services import start_monthly_export
from tests.accounts.factories import BranchFactory, UserFactory
from tests.celery_workers import BROKER, wait_for, wait_for_workers
from tests.integration.conftest import breached_ticket
from tests.reports.factories import october_data
from tickets.models import AlertLevel, SlaAlert
from tickets.tasks import sla_sweep

pytestmark = pytest.mark.postgres


def test_an_sla_alert_is_not_kept_waiting_by_a_long_export(celery_processes, team, branch_a, branch_b):
    october_data(branch_a=branch_a, branch_b=branch_b, clerk=team[Role.DISPATCHER])
    ticket = breached_ticket(team, branch_a)
    admin = UserFactory(
        username="admin_hq", branch=BranchFactory(code="HQ", headquarters=True), roles=[Role.ADMIN]
    )
    celery_processes.env["SLOW_EXPORT_ROW_SECONDS"] = "4"  # 1 header + 4 surveys: about 20 s
    celery_processes.worker("alerts", "-Q", "alerts,default")
    celery_processes.worker("reports", "-Q", "reports", "-I", "tests.slow_exports")
    wait_for_workers(["alerts", "reports"], BROKER, celery_processes)

    with transaction.atomic():  # queued on commit, as from the report page
        export = start_monthly_export(user=admin, scope=Scope(month=Month(2026, 10)), fmt="csv")
    wait_for(
        lambda: Export.objects.filter(pk=export.pk, state=Export.State.RUNNING).exists(),
        seconds=60,
        processes=celery_processes,
        what="the export running",
    )
    sla_sweep.delay()  # routed to `alerts` (CELERY_TASK_ROUTES)
    breach = wait_for(
        lambda: SlaAlert.objects.filter(deadline__ticket=ticket, level=AlertLevel.BREACH).first(),
        seconds=15,  # a sweep takes well under a second; the export has ~20 s to go
        processes=celery_processes,
        what="the breach alert while the export runs",
    )
    assert Export.objects.get(pk=export.pk).state == Export.State.RUNNING

    wait_for(
        lambda: Export.objects.filter(pk=export.pk, state=Export.State.DONE).exists(),
        seconds=120,
        processes=celery_processes,
        what="the export done",
    )
    export.refresh_from_db()
    assert breach.created_at < export.finished_at
    logs = {name: (celery_processes.tmp_path / f"{name}.log").read_text() for name in ("alerts", "reports")}
    assert "tickets.tasks.sla_sweep[" in logs["alerts"] and "tickets.tasks.sla_sweep[" not in logs["reports"]
    assert (
        "reports.tasks.run_export[" in logs["reports"] and "reports.tasks.run_export[" not in logs["alerts"]
    )
