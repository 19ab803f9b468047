"""Every scheduled job names a task the worker knows (a typo would only show as a silent miss)."""

from django.conf import settings

from aftersales.celery import app


def test_every_beat_entry_is_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled - set(app.tasks) == set()
    assert {
        "tickets.tasks.sla_sweep",
        "notifications.tasks.retry_deliveries",
        "surveys.tasks.morning_call_queue",
        "parts.tasks.backorder_contact_reminders",
        "reports.tasks.summarise_months",
        "reports.tasks.summarise_quality_months",
        "reports.tasks.send_quality_report",
        "tickets.tasks.generate_maintenance_visits",
    } <= scheduled
