"""Scheduled work of the reports app."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from reports import export_jobs, manufacturing, quality
from reports.kpis import TREND_MONTHS, summarisable_months, summarise, summarised_months
from reports.periods import Month


@shared_task
def summarise_months() -> list[str]:
    """Every 15 minutes: store the KPI counts of the current month to date, of the last complete month
    again (entries made late) and of every month of the dashboard's trend not summarised yet. The
    dashboard counts live only what came after, so it stays exact; a row entered with an earlier time
    than the last run's waits for the next run. Safe to run twice (replaces). Reads the primary, not the
    replica (aftersales.replica): the counts it stores stand for every row before their watermark, which
    a lagging replica might not have yet."""
    months = summarisable_months(timezone.localdate(), TREND_MONTHS)
    for month in months:
        summarise(month)
    return [str(month) for month in months]


@shared_task
def summarise_quality_months() -> list[str]:
    """Hourly: the same for the quality page's counts (reports.quality), and the units in the field.
    Safe to run twice (replaces). Reads the primary, as summarise_months."""
    months = quality.summarisable_months(timezone.localdate())
    for month in months:
        quality.summarise(month)
    quality.count_field_units()
    return [str(month) for month in months]


@shared_task
def send_quality_report() -> bool:
    """On the 1st: e-mail last month's quality report to manufacturing (QUALITY_REPORT_RECIPIENTS).
    Safe to run twice: the month's delivery row is claimed once (reports.manufacturing)."""
    return manufacturing.send_quality_report(Month.previous(timezone.localdate()))


@shared_task
def summarise_again(months: list[str]) -> list[str]:
    """After a call book's history was imported or its batch undone (tickets.callbook): the stored KPI
    and quality counts of those of `months` ("2024-03") that were summarised already are made again, and
    the units in the field counted again; months never summarised are counted live or by the periodic
    tasks. Safe to run twice (replaces)."""
    wanted = [Month(int(text[:4]), int(text[5:7])) for text in months]
    kpi_months = sorted(summarised_months(wanted), key=lambda month: month.start)
    for month in kpi_months:
        summarise(month)
    for month in sorted(quality.summarised_months(wanted), key=lambda month: month.start):
        quality.summarise(month)
    quality.count_field_units()
    return [str(month) for month in kpi_months]


def on_history_imported(sender, *, months, **kwargs) -> None:
    """tickets.signals.history_imported: summarise the months again once the import has committed."""
    texts = sorted(f"{year:04d}-{month:02d}" for year, month in months)
    transaction.on_commit(lambda: summarise_again.delay(texts))


@shared_task
def run_export(export_id: int) -> str:
    """A long export (reports.export_jobs), on the `reports` queue. Safe to run twice (the claim)."""
    return export_jobs.run(export_id)


@shared_task
def purge_exports() -> int:
    """Daily: exports older than EXPORT_KEEP_DAYS removed with their files, stalled ones failed, and
    the ones whose message never reached a worker sent again."""
    now = timezone.now()
    for export_id in export_jobs.waiting(now):
        run_export.apply_async(args=[export_id], retry=False)
    return export_jobs.purge(now)
