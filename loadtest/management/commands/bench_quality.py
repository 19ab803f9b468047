"""`manage.py bench_quality`: the quality page's report on the bench database (loadtest.bench.quality)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loadtest.bench import BenchError, quality
from reports.periods import Month


class Command(BaseCommand):
    help = "Time the quality page's report on the bench database (after `make bench`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the month before the newest ticket)")
        parser.add_argument("--runs", type=int, default=quality.RUNS, help="timed runs (median)")

    def handle(self, *args, **options) -> None:
        month = Month.parse(options["month"]) if options["month"] else None
        try:
            quality.run(month=month, runs=options["runs"], log=self.stdout.write)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
