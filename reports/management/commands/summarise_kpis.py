"""Store the KPI counts of months (what the periodic task does, or the months named)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from reports.kpis import TREND_MONTHS, summarisable_months, summarise
from reports.periods import Month


class Command(BaseCommand):
    help = "Summarise the KPI counts of months (default: as the periodic task; after a correction of old data, name the months)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("months", nargs="*", help="YYYY-MM (default: the periodic task's months)")
        parser.add_argument("--back", type=int, default=TREND_MONTHS, help="months to look back (default)")

    def handle(self, *args, **options) -> None:
        months = [Month.parse(text) for text in options["months"]] or summarisable_months(
            timezone.localdate(), options["back"]
        )
        for month in months:
            started = time.monotonic()
            cells = summarise(month)
            self.stdout.write(f"{month}: {cells:,} groups in {time.monotonic() - started:.1f} s")
