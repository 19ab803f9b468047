"""`manage.py bench_reports`: the KPI dashboard and the monthly exports on the bench database
(loadtest.bench.reports; `manage.py bench --part reports` runs the same with the defaults)."""

from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loadtest.bench import BenchError, reports
from reports.periods import Month


class Command(BaseCommand):
    help = "Time the KPI dashboard and the monthly exports on the bench database (after `make bench`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--surveys", type=int, default=reports.SURVEYS, help="answered surveys in the month"
        )
        parser.add_argument(
            "--total-surveys",
            type=int,
            default=reports.TOTAL_SURVEYS,
            help="answered surveys in all (issue #8's bench data)",
        )
        parser.add_argument("--month", help="YYYY-MM (default: the month before the newest ticket)")
        parser.add_argument("--runs", type=int, default=reports.RUNS, help="timed dashboard runs (median)")
        # One export in this process, its figures as JSON: how `run` measures each export on its own.
        parser.add_argument("--export", choices=reports.FORMATS, help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        month = Month.parse(options["month"]) if options["month"] else None
        try:
            if options["export"]:
                self.stdout.write(json.dumps(reports.one_export(month=month, fmt=options["export"])))
            else:
                reports.run(
                    month=month,
                    surveys=options["surveys"],
                    total_surveys=options["total_surveys"],
                    runs=options["runs"],
                    log=self.stdout.write,
                )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
