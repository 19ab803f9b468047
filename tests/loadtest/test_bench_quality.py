"""`manage.py bench_quality`, the command of the loadtest app: found by Django, and refusing a database
the bench did not seed (the run itself: docs/performance.md, the quality page)."""

from __future__ import annotations

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from reports.models import QualityMonth
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
