"""`manage.py bench`, the command of the loadtest app: found by Django, and refusing before it touches a
database that is not a bench database on PostgreSQL (the runs themselves: `make bench`)."""

from __future__ import annotations

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError


def test_the_bench_command_is_the_loadtest_apps_and_its_help_lists_the_parts(capsys):
    assert get_commands()["bench"] == "loadtest"
    with pytest.raises(SystemExit) as exited:
        call_command("bench", "--help")
    assert exited.value.code == 0
    assert "{all,pages,sweep,rules,reports,http,throughput}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:////tmp/bench.sqlite3", "runs on PostgreSQL only"),
        ("postgres://postgres@127.0.0.1:5432/postgres", "refusing to seed the 'postgres' database"),
        ("postgres://postgres@127.0.0.1:5432/template1", "refusing to seed the 'template1' database"),
    ],
)
def test_a_database_other_than_a_postgresql_bench_database_is_refused(url, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench", database_url=url)


def test_a_run_of_no_tickets_is_refused():
    with pytest.raises(CommandError, match="must be at least 1"):
        call_command("bench", tickets=0)
