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


ALERTS = {
    "tickets.tasks.sla_sweep",
    "tickets.tasks.pickup_reminders",
    "tickets.tasks.late_repair_notices",
    "tickets.tasks.contract_expiry_notices",
    "notifications.tasks.deliver",
    "notifications.tasks.deliver_webhooks",
    "notifications.tasks.retry_deliveries",
    "surveys.tasks.morning_call_queue",
    "surveys.tasks.complaint_plan_reminders",
    "parts.tasks.backorder_contact_reminders",
}
REPORTS = {
    "reports.tasks.run_export",
    "reports.tasks.purge_exports",
    "reports.tasks.summarise_months",
    "reports.tasks.summarise_quality_months",
    "reports.tasks.send_quality_report",
    "reports.tasks.summarise_again",
    "tickets.tasks.check_callbook",
    "tickets.tasks.import_callbook",
    "tickets.tasks.undo_callbook",
}


def test_alerts_and_reports_go_to_their_own_queues_and_the_rest_to_default():
    """A long export never sits in front of an SLA alert (issue #20): CELERY_TASK_ROUTES. The workers
    with their queues: tests/integration/test_queues.py."""
    app.loader.import_default_modules()
    declared = {queue.name: queue for queue in settings.CELERY_TASK_QUEUES}
    assert set(declared) == {"alerts", "default", "reports"}
    # Each queue is bound by its own key: a message reaches its queue and no other.
    assert len({(queue.exchange.name, queue.routing_key) for queue in declared.values()}) == 3
    project = {name for name in app.tasks if not name.startswith("celery.")}
    queue_of = {name: app.amqp.router.route({}, name)["queue"].name for name in project}
    assert {name for name, queue in queue_of.items() if queue == "alerts"} == ALERTS
    assert {name for name, queue in queue_of.items() if queue == "reports"} == REPORTS
    assert set(queue_of.values()) <= set(declared)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reports.tasks.purge_exports" in scheduled
