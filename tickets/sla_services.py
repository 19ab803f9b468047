"""SLA write paths: set a ticket's deadlines, meet them, pause and resume its clocks, and the sweep.

Called inside the ticket's transaction (the ticket row is locked by the caller), so deadlines and the
ticket's `due_at` / `warn_at` never disagree.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.calendars import calendar_for_branch
from accounts.models import Role, User
from aftersales.errors import Conflict, UserError
from aftersales.texts import Lines, Text
from audit.services import record
from notifications.services import Message, send_messages
from tickets import sla
from tickets.models import (
    OPEN_STATES,
    AlertLevel,
    ClockPause,
    Milestone,
    RepairTicket,
    SlaAlert,
    SlaPolicy,
    TicketDeadline,
    TicketEvent,
    event_note,
)


def policy_terms() -> list[sla.PolicyTerms]:
    """The active policies as plain values (one query)."""
    terms = []
    for policy in SlaPolicy.objects.filter(is_active=True):
        targets = {
            milestone: sla.Target(hours, getattr(policy, f"{milestone}_basis"), policy.pk)
            for milestone in sla.MILESTONES
            if (hours := getattr(policy, f"{milestone}_hours")) is not None
        }
        terms.append(
            sla.PolicyTerms(
                targets=targets,
                order=policy.order,
                policy_id=policy.pk,
                branch_id=policy.branch_id,
                fault_category=policy.fault_category,
                service_zone=policy.service_zone,
                channel=policy.channel,
                priority=policy.priority,
                min_distance_km=policy.min_distance_km,
                max_distance_km=policy.max_distance_km,
            )
        )
    return terms


def ticket_facts(ticket: RepairTicket) -> sla.TicketFacts:
    return sla.TicketFacts(
        branch_id=ticket.branch_id,
        fault_category=ticket.fault_category,
        service_zone=ticket.customer.service_zone,
        distance_km=ticket.customer.distance_km,
        channel=ticket.channel,
        priority=ticket.priority,
    )


def _fractions() -> tuple[Decimal, Decimal]:
    return Decimal(str(settings.SLA_WARNING_FRACTION)), Decimal(str(settings.SLA_ESCALATION_HOURS))


def _deadline_row(
    ticket: RepairTicket, milestone: str, target: sla.Target, start, calendar
) -> TicketDeadline:
    warning, escalation = _fractions()
    times = sla.deadline_times(target, start, calendar, warning_fraction=warning, escalation_hours=escalation)
    if milestone == Milestone.ARRIVAL and ticket.appointment is not None:
        times = sla.appointment_times(times, *ticket.appointment, escalation_hours=escalation)
    return TicketDeadline(
        ticket=ticket,
        milestone=milestone,
        policy_id=target.policy_id,
        target_hours=target.hours,
        basis=target.basis,
        started_at=start,
        warn_at=times.warn_at,
        due_at=times.due_at,
        escalate_at=times.escalate_at,
        calendar_confirmed=times.confirmed,
    )


def set_deadlines(ticket: RepairTicket, start: datetime.datetime) -> list[TicketDeadline]:
    """Replace the ticket's deadlines by those of the policies now, counted from `start`."""
    targets = sla.choose_targets(policy_terms(), ticket_facts(ticket))
    calendar = calendar_for_branch(ticket.branch)
    ticket.deadlines.all().delete()
    created = TicketDeadline.objects.bulk_create(
        _deadline_row(ticket, milestone, target, start, calendar) for milestone, target in targets.items()
    )
    refresh_next_deadline(ticket, fallback_start=start)
    return created


def recompute_deadlines(ticket: RepairTicket) -> None:
    """What the SLA depends on changed (e.g. the customer's zone or distance): the milestones not met
    yet get the targets of the policies now, still counted from when their clock started. Met
    milestones keep their record; a paused ticket is recomputed when it resumes."""
    if ticket.clock_paused or ticket.state not in OPEN_STATES:
        return
    targets = sla.choose_targets(policy_terms(), ticket_facts(ticket))
    calendar = calendar_for_branch(ticket.branch)
    existing = {deadline.milestone: deadline for deadline in ticket.deadlines.all()}
    start = min((d.started_at for d in existing.values()), default=ticket.reported_at)
    for milestone, deadline in existing.items():
        if deadline.met_at is None and milestone not in targets:
            deadline.delete()
    for milestone, target in targets.items():
        current = existing.get(milestone)
        if current is not None and current.met_at is not None:
            continue
        if (
            current is not None
            and (current.target_hours, current.basis) == (target.hours, target.basis)
            and (milestone != Milestone.ARRIVAL or ticket.appointment is None)
        ):
            continue
        row = _deadline_row(ticket, milestone, target, current.started_at if current else start, calendar)
        if current is not None:
            row.pk, row.alert_level = current.pk, current.alert_level
        row.save()
    refresh_next_deadline(ticket)


def apply_appointment(ticket: RepairTicket) -> None:
    """The visit's window was set, moved or cleared: the arrival deadline, if not met yet, follows it
    (or goes back to its policy's target), counted from when its clock started (inside the caller's
    transaction, the ticket locked). A paused clock is rebuilt when it resumes."""
    deadline = ticket.deadlines.filter(milestone=Milestone.ARRIVAL, met_at__isnull=True).first()
    if deadline is None or ticket.clock_paused:
        return
    target = sla.Target(deadline.target_hours, deadline.basis, deadline.policy_id)
    row = _deadline_row(
        ticket, Milestone.ARRIVAL, target, deadline.started_at, calendar_for_branch(ticket.branch)
    )
    row.pk, row.alert_level = deadline.pk, deadline.alert_level
    if row.due_at != deadline.due_at:
        row.alert_level = AlertLevel.NONE  # a new promise: its warning and breach alerts are due afresh
    row.save()
    refresh_next_deadline(ticket)


def refresh_next_deadline(ticket: RepairTicket, *, fallback_start: datetime.datetime | None = None) -> None:
    """Copy the earliest running deadline onto the ticket (what lists sort and colour by)."""
    running = ticket.deadlines.filter(met_at__isnull=True).order_by("due_at").first()
    if running is not None:
        ticket.due_at, ticket.warn_at = running.due_at, running.warn_at
    elif fallback_start is not None:  # no policy applies: the plain default of settings
        ticket.due_at = fallback_start + datetime.timedelta(hours=settings.TICKET_DEFAULT_DUE_HOURS)
        ticket.warn_at = None
    RepairTicket.objects.filter(pk=ticket.pk).update(due_at=ticket.due_at, warn_at=ticket.warn_at)


def meet(ticket: RepairTicket, milestones: tuple[str, ...], at: datetime.datetime) -> None:
    """Record that milestones were reached at `at` (in time or not); a paused clock counts as stopped."""
    for deadline in ticket.deadlines.filter(milestone__in=milestones, met_at__isnull=True):
        deadline.met_at = at
        deadline.in_time = at <= deadline.due_at or (ticket.clock_paused and deadline.remaining_hours > 0)
        deadline.active = False
        deadline.save(update_fields=["met_at", "in_time", "active"])
    refresh_next_deadline(ticket)


def stop_clocks(ticket: RepairTicket) -> None:
    """The ticket is accepted or cancelled: nothing more is due, no alert will be sent."""
    ticket.deadlines.filter(active=True).update(active=False)


# Which transitions reach which milestones: arriving on site is also the first contact (§1-3.2).
MILESTONES_MET_BY = {
    "check_in": (Milestone.CONTACT, Milestone.ARRIVAL),
    "accept": (Milestone.CONTACT, Milestone.ARRIVAL, Milestone.RESOLUTION),
}


def after_transition(
    ticket: RepairTicket, name: str, at: datetime.datetime, *, undone_at: datetime.datetime | None = None
) -> None:
    """Keep the clocks in step with a transition (called by `apply_transition` in its transaction).
    `undone_at`: for an undo, when the acceptance or cancellation it takes back was done."""
    if name in MILESTONES_MET_BY:
        meet(ticket, MILESTONES_MET_BY[name], at)
    if name in ("accept", "cancel"):
        if ticket.clock_paused:
            ClockPause.objects.filter(ticket=ticket, resumed_at__isnull=True).update(resumed_at=at)
            ticket.clock_paused = False
            RepairTicket.objects.filter(pk=ticket.pk).update(clock_paused=False)
        stop_clocks(ticket)
    elif name == "reopen":  # a new repair: new clocks from now
        set_deadlines(ticket, at)
    elif name in ("undo_accept", "undo_cancel") and undone_at is not None:
        restart_clocks(ticket, since=undone_at)


def restart_clocks(ticket: RepairTicket, *, since: datetime.datetime) -> None:
    """An acceptance or cancellation was taken back: the milestones it met are due again and every
    unmet deadline runs (and alerts) as if it had not happened; time that passed meanwhile counts."""
    ticket.deadlines.filter(met_at__gte=since).update(met_at=None, in_time=None)
    ticket.deadlines.filter(met_at__isnull=True).update(active=True)
    refresh_next_deadline(ticket)


def may_pause(ticket: RepairTicket, user: User) -> bool:
    if ticket.state not in OPEN_STATES:
        return False
    if user.has_role(Role.DISPATCHER) or user.has_role(Role.SUPERVISOR):
        return user.in_branch(ticket.branch_id)
    return ticket.technician_id == user.pk


def _locked(ticket_id: int, user: User) -> RepairTicket:
    ticket = RepairTicket.objects.lock(ticket_id, None)
    if not may_pause(ticket, user):
        raise PermissionDenied(_("您不能暂停或恢复该工单的计时。"))
    return ticket


@transaction.atomic
def pause_clock(*, ticket_id: int, user: User, reason: str, note: str = "") -> ClockPause:
    """Stop the clocks while the ticket waits for parts or for the customer; keep what was left."""

    if reason not in ClockPause.Reason.values:
        raise UserError(_("请选择暂停原因。"), field="reason")
    ticket = _locked(ticket_id, user)
    if ticket.clock_paused:
        raise Conflict(_("工单 %(number)s 的计时已经暂停。") % {"number": ticket.number})
    now = timezone.now()
    calendar = calendar_for_branch(ticket.branch)
    for deadline in ticket.deadlines.filter(met_at__isnull=True):
        deadline.remaining_hours = sla.hours_between(deadline.basis, calendar, now, deadline.due_at)
        deadline.active = False
        deadline.save(update_fields=["remaining_hours", "active"])
    pause = ClockPause.objects.create(
        ticket=ticket, reason=reason, note=note.strip(), paused_at=now, paused_by=user
    )
    ticket.clock_paused = True
    ticket.version += 1
    ticket.save(update_fields=["clock_paused", "version"])
    reason_label = ClockPause.Reason(pause.reason).label
    TicketEvent.objects.create(
        ticket=ticket,
        actor=user,
        at=now,
        action="pause_clock",
        from_state=ticket.state,
        to_state=ticket.state,
        **event_note(
            Text(gettext_noop("%(reason)s %(note)s")) % {"reason": reason_label, "note": pause.note}
            if pause.note
            else Text.label(reason_label)
        ),
    )
    record(user, "ticket.pause_clock", ticket, {"reason": pause.reason, "note": pause.note})
    return pause


@transaction.atomic
def resume_clock(*, ticket_id: int, user: User) -> RepairTicket:
    """Restart the clocks where they stopped: each deadline gets back the hours it had left (negative when
    it was paused after its breach: it stays as late, and its escalation as near, as then)."""

    ticket = _locked(ticket_id, user)
    pause = ClockPause.objects.filter(ticket=ticket, resumed_at__isnull=True).first()
    if pause is None:
        raise Conflict(_("工单 %(number)s 的计时没有暂停。") % {"number": ticket.number})
    now = timezone.now()
    calendar = calendar_for_branch(ticket.branch)
    warning, escalation = _fractions()
    for deadline in ticket.deadlines.filter(met_at__isnull=True):
        target = sla.Target(deadline.target_hours, deadline.basis)
        times = sla.deadline_times(
            target,
            now,
            calendar,
            warning_fraction=warning,
            escalation_hours=escalation,
            hours_left=deadline.remaining_hours,
        )
        deadline.warn_at, deadline.due_at, deadline.escalate_at = (
            times.warn_at,
            times.due_at,
            times.escalate_at,
        )
        deadline.calendar_confirmed = times.confirmed
        deadline.remaining_hours = None
        deadline.active = True
        deadline.save()
    pause.resumed_at, pause.resumed_by = now, user
    pause.save(update_fields=["resumed_at", "resumed_by"])
    ticket.clock_paused = False
    ticket.version += 1
    ticket.save(update_fields=["clock_paused", "version"])
    if ticket.appointment is not None:  # the agreed window, not the hours left, decides the arrival
        apply_appointment(ticket)
    refresh_next_deadline(ticket)
    TicketEvent.objects.create(
        ticket=ticket,
        actor=user,
        at=now,
        action="resume_clock",
        from_state=ticket.state,
        to_state=ticket.state,
    )
    record(user, "ticket.resume_clock", ticket)
    return ticket


@transaction.atomic
def record_contact(*, ticket_id: int, user: User, note: str) -> RepairTicket:
    """The customer was contacted or answered (written contact for chassis faults, §1-3.2.3)."""
    note = note.strip()
    if not note:
        raise UserError(_("请填写联系内容。"), field="note")
    ticket = RepairTicket.objects.lock(ticket_id, None)
    if not (
        user.has_role(Role.DISPATCHER) or user.has_role(Role.SUPERVISOR) or ticket.technician_id == user.pk
    ):
        raise PermissionDenied(_("您不能记录该工单的客户联系。"))
    if not (user.in_branch(ticket.branch_id) or ticket.technician_id == user.pk):
        raise PermissionDenied(_("您不能记录该工单的客户联系。"))
    now = timezone.now()
    meet(ticket, (Milestone.CONTACT,), now)
    TicketEvent.objects.create(
        ticket=ticket,
        actor=user,
        at=now,
        action="contact",
        from_state=ticket.state,
        to_state=ticket.state,
        note=note,
    )
    return ticket


# --- the sweep --------------------------------------------------------------------------------

LEVEL_FIELDS = (
    (AlertLevel.ESCALATION, "escalate_at"),
    (AlertLevel.BREACH, "due_at"),
    (AlertLevel.WARNING, "warn_at"),
)
SWEEP_BATCH = 5000


def _role_members(branch_ids: set[int], roles: tuple[str, ...]) -> dict[int, list[User]]:
    members: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        is_active=True, branch_id__in=branch_ids, groups__name__in=roles
    ).distinct():
        members[user.branch_id].append(user)
    return members


@dataclass(frozen=True)
class DueDeadline:
    """What an alert needs of a deadline and its ticket, read as plain values (ten thousand per
    sweep at 1 % of a million running clocks: model instances would cost more than the SQL)."""

    pk: int
    milestone: str
    due_at: datetime.datetime
    ticket_id: int
    number: str
    branch_id: int
    technician_id: int | None


DUE_FIELDS = (
    "pk",
    "milestone",
    "due_at",
    "ticket_id",
    "ticket__number",
    "ticket__branch_id",
    "ticket__technician_id",
)


def _alert_messages(level: int, deadlines: list[DueDeadline]) -> list[Message]:
    """Warning: the assignee (the branch's dispatchers while nobody is assigned). Breach: also the
    supervisors. Escalation: the managers (the supervisors where a branch has no manager)."""
    branch_ids = {d.branch_id for d in deadlines}
    dispatchers = _role_members(branch_ids, (Role.DISPATCHER,))
    supervisors = _role_members(branch_ids, (Role.SUPERVISOR,))
    managers = _role_members(branch_ids, (Role.MANAGER,)) if level == AlertLevel.ESCALATION else {}
    technicians = User.objects.in_bulk({d.technician_id for d in deadlines if d.technician_id})
    subject = {
        AlertLevel.WARNING: Text(gettext_noop("即将超时:%(number)s %(milestone)s 截止 %(due)s")),
        AlertLevel.BREACH: Text(gettext_noop("已超时:%(number)s %(milestone)s 截止 %(due)s")),
        AlertLevel.ESCALATION: Text(gettext_noop("超时升级:%(number)s %(milestone)s 截止 %(due)s,仍未完成")),
    }[level]
    milestones = dict(Milestone.choices)  # lazy labels: stored as codes, read in the reader's language
    placeholder = "987654321"
    link_before, link_after = reverse("tickets:detail", args=[placeholder]).split(placeholder)
    messages = []
    for deadline in deadlines:
        branch = deadline.branch_id
        technician = technicians.get(deadline.technician_id)
        assignee = [technician] if technician else dispatchers.get(branch, [])
        if level == AlertLevel.WARNING:
            recipients = assignee
        elif level == AlertLevel.BREACH:
            recipients = [*assignee, *supervisors.get(branch, [])]
        else:
            recipients = managers.get(branch) or supervisors.get(branch, [])
        text = subject % {
            "number": deadline.number,
            "milestone": milestones[deadline.milestone],
            "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
        }
        link = f"{link_before}{deadline.ticket_id}{link_after}"
        key = f"sla:{deadline.pk}:{level}"
        messages.extend(
            (deadline.number, Message(recipient=user, kind="sla", subject=text, link=link, key=key))
            for user in recipients
        )
    return digested(level, messages)


def digested(level: int, messages: list[tuple[str, Message]]) -> list[Message]:
    """A person with more than SLA_DIGEST_AFTER alerts of one level in one batch gets one message that
    counts them and opens the overdue list, not a flood they could not read (a mass breach after an
    outage, say). The per-deadline alert rows still record each one."""
    by_user: dict[int, list[tuple[str, Message]]] = defaultdict(list)
    for number, message in messages:
        by_user[message.recipient.pk].append((number, message))
    overdue_list = reverse("tickets:list") + "?state=open&overdue=on"
    label = AlertLevel(level).label
    result = []
    for own in by_user.values():
        if len(own) <= settings.SLA_DIGEST_AFTER:
            result.extend(message for _number, message in own)
            continue
        first = own[0][1]
        result.append(
            Message(
                recipient=first.recipient,
                kind="sla",
                subject=Text(gettext_noop("%(level)s:%(count)d 张工单(%(numbers)s 等)"))
                % {"level": label, "count": len(own), "numbers": [number for number, _m in own[:3]]},
                body=Lines(tuple(message.subject for _number, message in own)),
                link=overdue_list,
                key=f"sla-digest:{first.key}",
            )
        )
    return result


def sweep(now: datetime.datetime | None = None) -> dict[int, int]:
    """Send every alert that is due and not sent yet; return how many deadlines got each level.

    The highest level first, so that a sweep that was down sends a breach (not a warning, then a
    breach) for a deadline it finds long past. Rows are locked with SKIP LOCKED and the alert row is
    unique per deadline and level, so concurrent sweeps send each alert once.
    """
    now = now or timezone.now()
    sent = {}
    for level, field in LEVEL_FIELDS:
        total = 0
        while True:
            with transaction.atomic():
                rows = (
                    TicketDeadline.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(active=True, alert_level__lt=level, **{f"{field}__lte": now})
                    .order_by(field)
                    .values_list(*DUE_FIELDS)[:SWEEP_BATCH]
                )
                deadlines = [DueDeadline(*row) for row in rows]
                if not deadlines:
                    break
                ids = [d.pk for d in deadlines]
                SlaAlert.objects.bulk_create(
                    [SlaAlert(deadline_id=pk, level=level, created_at=now) for pk in ids],
                    ignore_conflicts=True,
                )
                TicketDeadline.objects.filter(pk__in=ids).update(alert_level=level)
                send_messages(_alert_messages(level, deadlines))
            total += len(deadlines)
            if len(deadlines) < SWEEP_BATCH:
                break
        sent[level] = total
    return sent


def customer_location_changed(sender, *, customer, **kwargs) -> None:
    """`customers.signals.location_changed`: the open tickets' deadlines follow the new zone or
    distance (runs in the caller's transaction)."""
    for ticket_id in RepairTicket.objects.filter(customer=customer).open().values_list("pk", flat=True):
        recompute_deadlines(RepairTicket.objects.lock(ticket_id, None))
