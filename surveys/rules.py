"""Follow-up and complaint timing: pure functions over plain values (no database, no settings).

The services read the configured values (`surveys.services.follow_up_offsets()` etc.) and pass them in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Supervisors are reminded when the plan is due within this many hours, and again once it is late.
PLAN_REMINDER_HOURS = 12


def follow_up_schedule(
    accepted_on: datetime.date, offsets_days: tuple[int, ...]
) -> list[tuple[int, datetime.date]]:
    """(offset, due date) of each call, counted in calendar days from the Shanghai date of acceptance.

    Duplicate offsets collapse into one call; a non-positive offset is a configuration error.
    """
    if any(offset <= 0 for offset in offsets_days):
        raise ValueError(f"follow-up offsets must be positive days: {offsets_days!r}")
    return [(offset, accepted_on + datetime.timedelta(days=offset)) for offset in sorted(set(offsets_days))]


@dataclass(frozen=True)
class UnansweredCall:
    """What becomes of a call nobody answered: tried again on `retry_on`, or given up (`retry_on` None)."""

    attempts: int
    retry_on: datetime.date | None

    @property
    def gives_up(self) -> bool:
        return self.retry_on is None


def unanswered(*, attempts_before: int, today: datetime.date, max_attempts: int) -> UnansweredCall:
    """One more unanswered try: retried the next day until `max_attempts` tries, then unreachable."""
    attempts = attempts_before + 1
    if attempts >= max_attempts:
        return UnansweredCall(attempts, None)
    return UnansweredCall(attempts, today + datetime.timedelta(days=1))


def plan_due_at(received_at: datetime.datetime, hours: int) -> datetime.datetime:
    """The handling plan's deadline: `hours` clock hours after the complaint was received."""
    return received_at + datetime.timedelta(hours=hours)


def plan_reminder_level(
    *, due_at: datetime.datetime, now: datetime.datetime, warn_hours: int = PLAN_REMINDER_HOURS
) -> str | None:
    """ "overdue" once the deadline has passed, "due_soon" within `warn_hours` of it, else None."""
    if now >= due_at:
        return "overdue"
    if due_at - now <= datetime.timedelta(hours=warn_hours):
        return "due_soon"
    return None
