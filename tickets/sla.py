"""SLA rules as pure functions: which targets apply to a ticket, and when each milestone is due.

Plain values in, plain values out (no ORM, no clock): the same code sets deadlines at intake, recomputes
them when the ticket changes, rebuilds them after a pause and is tested by the thousand.

A policy matches a ticket when every condition it sets holds (blank = any). For each milestone the first
matching policy (lowest `order`) that sets a target for that milestone decides it, so a specific rule
(chassis fault: contact in 12 h) and a general one (any fault: resolution in 7 days) combine. Policies
with the same `order` are tried oldest first (lowest id), the order the admin lists them in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from aftersales.workcalendar import (
    WorkingCalendar,
    add_working_hours,
    is_confirmed,
    subtract_working_hours,
    working_hours_between,
)

CLOCK = "clock"
WORKING = "working"
MILESTONES = ("contact", "arrival", "resolution")


@dataclass(frozen=True)
class Target:
    hours: Decimal
    basis: str  # CLOCK or WORKING
    policy_id: int | None = None


@dataclass(frozen=True)
class PolicyTerms:
    """One SLA policy as plain values; `targets` maps a milestone to its target."""

    targets: dict[str, Target]
    order: int = 100
    policy_id: int | None = None
    branch_id: int | None = None
    fault_category: str = ""
    service_zone: str = ""
    channel: str = ""
    priority: str = ""
    min_distance_km: Decimal | None = None
    max_distance_km: Decimal | None = None


@dataclass(frozen=True)
class TicketFacts:
    """What the SLA of a ticket depends on; a change of any of these recomputes its deadlines."""

    branch_id: int
    fault_category: str
    service_zone: str
    distance_km: Decimal
    channel: str
    priority: str


def matches(policy: PolicyTerms, facts: TicketFacts) -> bool:
    if policy.branch_id is not None and policy.branch_id != facts.branch_id:
        return False
    for name in ("fault_category", "service_zone", "channel", "priority"):
        wanted = getattr(policy, name)
        if wanted and wanted != getattr(facts, name):
            return False
    if policy.min_distance_km is not None and not facts.distance_km > policy.min_distance_km:
        return False
    return policy.max_distance_km is None or facts.distance_km <= policy.max_distance_km


def choose_targets(policies: list[PolicyTerms], facts: TicketFacts) -> dict[str, Target]:
    """The target of each milestone that has one, from the first matching policy that sets it (by order,
    then id: the same for any order of `policies`)."""
    chosen: dict[str, Target] = {}
    for policy in sorted(policies, key=lambda p: (p.order, p.policy_id or 0)):
        if not matches(policy, facts):
            continue
        for milestone, target in policy.targets.items():
            chosen.setdefault(milestone, target)
    return chosen


def add_hours(basis: str, calendar: WorkingCalendar, start: datetime.datetime, hours: Decimal):
    """`start` moved by `hours` of the basis; negative hours go back."""
    if basis == WORKING:
        if hours < 0:
            return subtract_working_hours(calendar, start, -hours)
        return add_working_hours(calendar, start, hours)
    return start + datetime.timedelta(seconds=round(hours * 3600))


def hours_between(basis: str, calendar: WorkingCalendar, start: datetime.datetime, end: datetime.datetime):
    """Hours of the basis in [start, end), negative when end < start."""
    span = working_hours_between(calendar, start, end) if basis == WORKING else end - start
    return Decimal(span.total_seconds()) / 3600


@dataclass(frozen=True)
class DeadlineTimes:
    started_at: datetime.datetime
    warn_at: datetime.datetime
    due_at: datetime.datetime
    escalate_at: datetime.datetime
    confirmed: bool


def deadline_times(
    target: Target,
    start: datetime.datetime,
    calendar: WorkingCalendar,
    *,
    warning_fraction: Decimal,
    escalation_hours: Decimal,
    hours_left: Decimal | None = None,
) -> DeadlineTimes:
    """When a milestone warns, is due and escalates, counted from `start` in the target's basis.

    `hours_left` (after a pause) counts the rest of the target from `start`; the warning then falls
    where the same share of the whole target would be used. Negative, the milestone was already missed
    when the clock stopped: it stays missed by as much, due that long before `start`, so a pause neither
    forgives the lateness nor postpones the escalation. Escalation comes `escalation_hours` of the same
    basis after the due time.
    """
    hours = target.hours if hours_left is None else hours_left
    used_before = target.hours - hours
    warn_after = max(target.hours * warning_fraction - used_before, Decimal(0))
    due_at = add_hours(target.basis, calendar, start, hours)
    warn_at = min(add_hours(target.basis, calendar, start, warn_after), due_at)
    escalate_at = add_hours(target.basis, calendar, due_at, escalation_hours)
    confirmed = target.basis == CLOCK or is_confirmed(calendar, start, escalate_at)
    return DeadlineTimes(start, warn_at, due_at, escalate_at, confirmed)


def appointment_times(
    times: DeadlineTimes, start: datetime.datetime, end: datetime.datetime, *, escalation_hours: Decimal
) -> DeadlineTimes:
    """The arrival deadline of a visit with an agreed window (预约时间段, issue #18): due at the window's end,
    whether that is sooner or later than the policy's target (it is the promise made to the customer),
    warned at its start, escalated `escalation_hours` of clock time after it."""
    return DeadlineTimes(
        started_at=times.started_at,
        warn_at=start,
        due_at=end,
        escalate_at=end + datetime.timedelta(seconds=round(escalation_hours * 3600)),
        confirmed=True,
    )


COUNTDOWN_OK = "ok"
COUNTDOWN_WARNING = "warning"
COUNTDOWN_BREACHED = "breached"
COUNTDOWN_PAUSED = "paused"


def countdown_state(
    *, now: datetime.datetime, warn_at: datetime.datetime, due_at: datetime.datetime, paused: bool
) -> str:
    """The colour of a deadline (DESIGN §9): green, amber in the warning band, red when breached, grey paused."""
    if paused:
        return COUNTDOWN_PAUSED
    if now >= due_at:
        return COUNTDOWN_BREACHED
    if now >= warn_at:
        return COUNTDOWN_WARNING
    return COUNTDOWN_OK
