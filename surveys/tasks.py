"""Scheduled sweeps (beat entries: see the README). Thin: the work is in surveys.services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from surveys import services


@shared_task
def morning_call_queue() -> int:
    """Each morning: each branch's dispatchers hear how many follow-up calls are due (§2-三-2)."""
    return services.notify_call_queues(today=timezone.localdate())


@shared_task
def complaint_plan_reminders() -> int:
    """Complaints whose 72-hour plan is due within 12 hours or late (§2-二-2(2))."""
    return services.remind_complaint_plans(now=timezone.now())
