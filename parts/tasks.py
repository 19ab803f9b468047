"""Scheduled work of the parts app. Each task re-derives what is due from the database and is safe
to run twice (notifications carry an idempotency key)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from aftersales.texts import Text
from notifications.services import notify
from parts import ledger
from parts.models import Backorder
from parts.rules import backorder_contact_due_since
from parts.services import branch_dispatchers

logger = logging.getLogger(__name__)


@shared_task
def check_stock_ledger() -> list[str]:
    """Nightly: on-hand of every level against the sum of its ledger rows; report any difference
    (log, and a message to the administrators) and return them."""
    found = ledger.discrepancies()
    if found:
        for discrepancy in found:
            logger.error("Stock ledger discrepancy: %s", discrepancy)
        admins = User.objects.filter(is_active=True).filter(is_superuser=True) | User.objects.filter(
            is_active=True, groups__name=Role.ADMIN
        )
        with transaction.atomic():
            notify(
                admins.distinct(),
                kind="parts_ledger",
                subject=Text(gettext_noop("库存核对发现 %(n)s 处账实不符")) % {"n": len(found)},
                body="\n".join(str(d) for d in found),
                key=f"stock-ledger:{timezone.localdate():%Y%m%d}",
            )
    return [str(discrepancy) for discrepancy in found]


@shared_task
def backorder_contact_reminders() -> int:
    """§5 第三十五条: a customer waiting for a part hears from us within a week whatever happens.

    Open backorders whose customer was last contacted 7 days ago or more: the branch's dispatchers
    are told, once per backorder and ISO week (the key), however often the task runs.
    """
    now = timezone.now()
    due = Backorder.objects.filter(
        state__in=[Backorder.State.REGISTERED, Backorder.State.ORDERED, Backorder.State.ARRIVED],
        last_contacted_at__lte=backorder_contact_due_since(now),
    ).select_related("customer", "part")
    sent = 0
    week = timezone.localdate(now).isocalendar()
    for backorder in due:
        with transaction.atomic():
            sent += len(
                notify(
                    branch_dispatchers(backorder.branch_id),
                    kind="parts_backorder",
                    subject=Text(gettext_noop("缺货登记已一周未联系客户:%(customer)s(%(part)s)"))
                    % {"customer": backorder.customer, "part": backorder.part},
                    body=Text(gettext_noop("无论是否到货,都必须在一周内再次联系客户(第三十五条)。")),
                    link=reverse("parts:backorders"),
                    key=f"backorder-week:{backorder.pk}:{week.year}-{week.week}",
                )
            )
    return sent
