"""Celery beat tasks of accounts."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts import ldap_backend, wecom
from accounts.models import IdempotencyRecord


@shared_task
def purge_idempotency_records() -> int:
    """Forget the answers to keys older than IDEMPOTENCY_KEY_DAYS: no form stays open that long."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.IDEMPOTENCY_KEY_DAYS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task
def sync_directory() -> dict[str, dict[str, int]]:
    """Directory accounts the directory no longer has lose their access; the others' roles and branch
    follow it (LDAP and WeCom, each when configured)."""
    counts = {}
    if settings.LDAP_SERVER_URI:
        counts["ldap"] = ldap_backend.sync_directory()
    if settings.WECOM_CORP_ID:
        counts["wecom"] = wecom.sync_members()
    return counts
