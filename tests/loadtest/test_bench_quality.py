"""`manage.py bench_quality`, the command of the loadtest app: found by Django, and refusing a database
the bench did not seed (the run itself: docs/performance.md, the quality page)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from loadtest.bench.quality import prepare_page
from reports.models import QualityMonth, SummarisedQualityMonth
from tests.reports.factories import local
from tests.tickets.factories import TicketFactory
from tickets.models import FaultCode


def test_the_bench_quality_command_is_the_loadtest_apps_and_its_help_runs(capsys):
    assert get_commands()["bench_quality"] == "loadtest"
    with pytest.raises(SystemExit) as exited:
        call_command("bench_quality", "--help")
    assert exited.value.code == 0
    assert "--runs" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_database_the_bench_did_not_seed_is_refused_and_left_alone():
    with pytest.raises(CommandError, match="bench database"):
        call_command("bench_quality")
    assert not FaultCode.objects.exists() and not QualityMonth.objects.exists()


@pytest.mark.django_db
def test_the_pages_bench_finds_the_quality_page_as_the_hourly_task_leaves_it(postgres, branch_a):
    """`bench --part pages` measures the quality page with the trend's past months stored and the current
    month stored up to an hour before the newest ticket (loadtest.bench.quality.prepare_page)."""
    TicketFactory(branch=branch_a, reported_at=local(2026, 12, 5, 9))
    lines: list[str] = []
    with time_machine.travel(local(2026, 12, 5, 10, 30), tick=False):
        prepare_page(lines.append)
        stored = dict(SummarisedQualityMonth.objects.values_list("month", "through"))
        assert len(stored) == 12 and stored[datetime.date(2026, 1, 1)] == local(2026, 2, 1)
        assert stored[datetime.date(2026, 12, 1)] == local(2026, 12, 5, 8)
        prepare_page(lines.append)
    assert lines[-1].startswith(
        "Quality page: 0 past months summarised, 2026-12 stored up to 2026-12-05 08:00"
    )
