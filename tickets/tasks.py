"""Celery beat tasks of tickets. Each re-derives what is due from the database and is idempotent: a
second run, a second beat or a retried task sends nothing twice (unique alert rows, keyed messages,
row locks)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from aftersales.metrics import SLA_SWEEP_DURATION
from aftersales.texts import Text
from notifications.services import notify, used_keys
from tickets import callbook, maintenance_services, sla_services
from tickets.models import Milestone, RepairTicket, State, TicketDeadline, TicketEvent, event_note
from tickets.return_services import send_pickup_notice
from tickets.signals import tell_customer
from warranty.models import MaintenanceContract


@shared_task
def sla_sweep() -> dict[str, int]:
    """Every minute: warnings at 80 %, breaches, escalations (see `sla_services.sweep`). Its duration
    goes to /metrics: a sweep nearing its period means alerts start to come late."""
    with SLA_SWEEP_DURATION.time():
        counts = sla_services.sweep()
    return {str(level): count for level, count in counts.items()}


def _branch_users(branch_id: int, role: str):
    return User.objects.filter(is_active=True, branch_id=branch_id, groups__name=role)


@shared_task
def pickup_reminders() -> int:
    """§5 第二十七、二十八条: a notice again every few days; after the last one, a ship-back task."""
    now = timezone.now()
    every = datetime.timedelta(days=settings.PICKUP_REMINDER_DAYS)
    limit = settings.PICKUP_NOTICES_BEFORE_SHIP_BACK
    waiting = (
        RepairTicket.objects.filter(state=State.AWAITING_PICKUP)
        .annotate(
            notices=Count("events", filter=Q(events__action="notify_pickup")),
            last_notice=Max("events__at", filter=Q(events__action="notify_pickup")),
        )
        .filter(last_notice__lte=now - every)
        .values_list("pk", flat=True)
    )
    handled = 0
    for ticket_id in waiting:
        with transaction.atomic():
            ticket = (
                RepairTicket.objects.select_for_update()
                .select_related("customer", "branch", "unit__product_model")
                .get(pk=ticket_id)
            )
            notices = ticket.events.filter(action="notify_pickup")
            last = notices.order_by("-at").first()
            if ticket.state != State.AWAITING_PICKUP or last is None or last.at > now - every:
                continue  # another run got here first
            count = notices.count()
            if count >= limit:
                notify(
                    _branch_users(ticket.branch_id, Role.DISPATCHER),
                    kind="ship_back",
                    subject=Text(gettext_noop("%(number)s 已通知 %(count)d 次仍未取件,请寄回客户"))
                    % {"number": ticket.number, "count": count},
                    link=ticket.get_absolute_url(),
                    key=f"ship-back:{ticket.pk}",
                )
                continue
            TicketEvent.objects.create(
                ticket=ticket,
                at=now,
                action="notify_pickup",
                from_state=ticket.state,
                to_state=ticket.state,
                **event_note(Text(gettext_noop("第 %(notice)d 次通知客户取件")) % {"notice": count + 1}),
                data={"notice": count + 1},
            )
            send_pickup_notice(ticket, count + 1)
            handled += 1
    return handled


@shared_task
def late_repair_notices() -> int:
    """§5 第二十六条 / §7-十四: a store repair that will miss its promised time — the customer is told
    before that time and the supervisor is asked to help."""
    now = timezone.now()
    soon = now + datetime.timedelta(hours=settings.LATE_REPAIR_NOTICE_HOURS)
    deadlines = TicketDeadline.objects.filter(
        milestone=Milestone.RESOLUTION,
        active=True,
        due_at__lte=soon,
        due_at__gt=now,
        ticket__state__in=[State.RMA_REQUESTED, State.IN_FACTORY],
    ).select_related("ticket__customer", "ticket__unit__product_model", "ticket__branch")
    deadlines = list(deadlines)
    done = used_keys(f"late-repair:{deadline.pk}" for deadline in deadlines)
    told = 0
    for deadline in deadlines:
        if f"late-repair:{deadline.pk}" in done:
            continue
        ticket = deadline.ticket
        promised = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")
        tell_customer(
            ticket,
            kind="late_repair",
            text=Text(
                gettext_noop(
                    "【售后服务】很抱歉,您的%(product)s(工单 %(number)s)维修无法在承诺的 %(promised)s 前完成,我们会尽快修好并通知您。"
                )
            )
            % {"product": ticket.unit.product_model.name, "number": ticket.number, "promised": promised},
            key=f"late-repair:{deadline.pk}",
        )
        notify(
            _branch_users(ticket.branch_id, Role.SUPERVISOR),
            kind="late_repair",
            subject=Text(gettext_noop("%(number)s 返厂维修将超过承诺时间 %(promised)s,请协助"))
            % {"number": ticket.number, "promised": promised},
            link=ticket.get_absolute_url(),
            key=f"late-repair:{deadline.pk}",
        )
        told += 1
    return told


@shared_task
def contract_expiry_notices() -> int:
    """§7-二十: a month before a maintenance contract ends, its branch is told to arrange the renewal visit."""
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.CONTRACT_EXPIRY_NOTICE_DAYS)
    contracts = list(
        MaintenanceContract.objects.filter(end_date__gte=today, end_date__lte=horizon).select_related(
            "customer"
        )
    )
    key_of = {contract.pk: f"contract-expiry:{contract.pk}:{contract.end_date}" for contract in contracts}
    done = used_keys(key_of.values())
    contracts = [contract for contract in contracts if key_of[contract.pk] not in done]
    office: dict[int, list[User]] = defaultdict(list)  # the branch's dispatchers and supervisors
    for user in User.objects.filter(
        is_active=True,
        branch_id__in={contract.customer.branch_id for contract in contracts},
        groups__name__in=[Role.DISPATCHER, Role.SUPERVISOR],
    ).distinct():
        office[user.branch_id].append(user)
    sent = 0
    for contract in contracts:
        sent += bool(
            notify(
                office[contract.customer.branch_id],
                kind="contract_expiry",
                subject=Text(
                    gettext_noop("保养合同 %(number)s(%(customer)s)将于 %(end)s 到期,请安排续约回访")
                )
                % {"number": contract.number, "customer": contract.customer.name, "end": contract.end_date},
                key=key_of[contract.pk],
            )
        )
    return sent


@shared_task
def generate_maintenance_visits() -> int:
    """Daily: log the preventive maintenance visits of the contracts' plans due within the lead time
    (tickets.maintenance_services). Safe to run twice: a unique row claims each visit."""
    return maintenance_services.generate_visits()


@shared_task
def check_callbook(batch_id: int, ip_address: str | None = None) -> str:
    """The dry run of an uploaded call book (tickets.callbook.check_batch); a no-op unless it is due.
    `ip_address`: the uploader's, for the audit trail (also below)."""
    return callbook.check_batch(batch_id, ip_address=ip_address)


@shared_task
def import_callbook(batch_id: int, ip_address: str | None = None) -> str:
    """The real import of a checked call book, all or nothing; a no-op unless the batch was claimed
    for it and not imported yet, so a retried task writes nothing twice."""
    return callbook.import_batch(batch_id, ip_address=ip_address)


@shared_task
def undo_callbook(batch_id: int, ip_address: str | None = None) -> dict[str, int]:
    """Remove an imported batch claimed for undoing (tickets.callbook.undo_batch); a no-op otherwise."""
    return callbook.undo_batch(batch_id, ip_address=ip_address)
