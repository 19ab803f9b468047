"""`manage.py bench_reports`, the command of the loadtest app: found by Django, and refusing a database
the bench did not seed (the runs themselves: `make bench BENCH_ARGS="--part reports"`)."""

from __future__ import annotations

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError


def test_the_bench_reports_command_is_the_loadtest_apps_and_its_help_runs(capsys):
    assert get_commands()["bench_reports"] == "loadtest"
    with pytest.raises(SystemExit) as exited:
        call_command("bench_reports", "--help")
    assert exited.value.code == 0
    assert "--total-surveys" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_database_the_bench_did_not_seed_is_refused():
    # PostgreSQL: "not a seeded bench database"; SQLite: "a PostgreSQL bench database".
    with pytest.raises(CommandError, match="bench database"):
        call_command("bench_reports")
