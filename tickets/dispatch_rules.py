"""Who should take a waiting ticket: the branch's technicians ranked for it, each with why (issue #18).

Pure: frozen dataclasses in, a ranked tuple out; no ORM, no clock (`now` and the day are given).
`tickets.selectors.dispatch_inputs` loads the facts, the dispatch board shows the result.

Hard rules, never broken whatever the score: a technician who is on leave on the job's day, who does not
work that weekday, or who lacks a valid skill for the job's category is not offered at all.

Among the others, points (higher is better):
- place: home zone is the customer's zone +30 (同区域); serves that zone +15; otherwise a penalty growing
  with the distance (a far customer outside their zones costs a whole morning);
- load: −10 for each job the technician already has that day; past their daily capacity a further −40
  (超负荷). When the ticket has little SLA slack left (under SHORT_SLACK_HOURS) the load counts double, so a
  pressing job goes to whoever is free;
- booked windows: the job's appointment window overlapping one the technician already has −50 (时段冲突);
- repeat visits: the technician who repaired this unit before +25, who served this customer before +10.
Ties go to the lighter load, then the name, then the id: the same inputs always give the same order.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from aftersales.categories import FaultCategory

SUGGESTIONS = 3  # how many the board shows per ticket
SHORT_SLACK_HOURS = 4

HOME_ZONE = 30
SERVED_ZONE = 15
PER_JOB = 10
OVERLOADED = 40
WINDOW_CLASH = 50
FIXED_UNIT = 25
KNOWS_CUSTOMER = 10


@dataclass(frozen=True)
class Window:
    """An appointment's agreed time window (预约时间段), aware datetimes, [start, end)."""

    start: datetime.datetime
    end: datetime.datetime

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Skill:
    category: str
    valid_until: datetime.date | None = None  # None: no expiry

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_until is None or self.valid_until >= day


@dataclass(frozen=True)
class Job:
    """A job the technician already has: its window if one was agreed, and the local day it falls on
    (a job without a window counts on every day until it is done)."""

    window: Window | None = None
    day: datetime.date | None = None


@dataclass(frozen=True)
class TechnicianFacts:
    technician_id: int
    name: str
    skills: tuple[Skill, ...]
    home_zone: str = ""
    zones_served: frozenset[str] = frozenset()
    working_weekdays: frozenset[int] = frozenset(range(5))  # 0 = Monday
    leave: tuple[tuple[datetime.date, datetime.date], ...] = ()  # first and last day, inclusive
    capacity: int = 4
    jobs: tuple[Job, ...] = ()

    def is_away_on(self, day: datetime.date) -> bool:
        return day.weekday() not in self.working_weekdays or any(
            first <= day <= last for first, last in self.leave
        )

    def has_skill(self, category: str, day: datetime.date) -> bool:
        return any(skill.category == category and skill.is_valid_on(day) for skill in self.skills)

    def jobs_on(self, day: datetime.date) -> tuple[Job, ...]:
        return tuple(job for job in self.jobs if job.day is None or job.day == day)


@dataclass(frozen=True)
class TicketFacts:
    """A waiting ticket as dispatch sees it. `day` is the local date of its window, else today."""

    ticket_id: int
    category: str  # the skill it needs: see required_skill
    zone: str
    distance_km: Decimal
    due_at: datetime.datetime
    day: datetime.date
    window: Window | None = None
    fixed_unit_before: frozenset[int] = frozenset()  # technicians who repaired this unit
    served_customer_before: frozenset[int] = frozenset()  # technicians who served this customer


@dataclass(frozen=True)
class Reason:
    code: str
    value: int | str | None = None


@dataclass(frozen=True)
class Suggestion:
    technician_id: int
    name: str
    score: int
    reasons: tuple[Reason, ...]

    @property
    def reason_line(self) -> str:
        return describe(self.reasons)


def required_skill(fault_category: str, product_category: str) -> str:
    """The skill a ticket needs: its fault's category, or the product's when the fault is 其他."""
    if fault_category == FaultCategory.OTHER and product_category:
        return product_category
    return fault_category


def is_eligible(ticket: TicketFacts, technician: TechnicianFacts) -> bool:
    return not technician.is_away_on(ticket.day) and technician.has_skill(ticket.category, ticket.day)


def slack_hours(ticket: TicketFacts, now: datetime.datetime) -> int:
    """Whole hours left to the ticket's next deadline (negative: overdue by that many, rounded down)."""
    return int((ticket.due_at - now).total_seconds() // 3600)


def assess(ticket: TicketFacts, technician: TechnicianFacts, now: datetime.datetime) -> Suggestion | None:
    """The technician's score for this ticket with its reasons, or None if they may not be offered."""
    if not is_eligible(ticket, technician):
        return None
    score = 0
    reasons: list[Reason] = []
    if technician.home_zone == ticket.zone:
        score += HOME_ZONE
        reasons.append(Reason("same_zone"))
    elif ticket.zone in technician.zones_served:
        score += SERVED_ZONE
        reasons.append(Reason("serves_zone"))
    else:
        score -= min(int(ticket.distance_km), 200) // 5
        reasons.append(Reason("out_of_zone", int(ticket.distance_km)))
    reasons.append(Reason("skill", ticket.category))
    if technician.technician_id in ticket.fixed_unit_before:
        score += FIXED_UNIT
        reasons.append(Reason("fixed_unit"))
    elif technician.technician_id in ticket.served_customer_before:
        score += KNOWS_CUSTOMER
        reasons.append(Reason("knows_customer"))
    jobs = technician.jobs_on(ticket.day)
    slack = slack_hours(ticket, now)
    per_job = PER_JOB * (2 if slack < SHORT_SLACK_HOURS else 1)
    score -= per_job * len(jobs)
    reasons.append(Reason("load", len(jobs)))
    if len(jobs) >= technician.capacity:
        score -= OVERLOADED
        reasons.append(Reason("overloaded"))
    if ticket.window is not None and any(
        job.window is not None and job.window.overlaps(ticket.window) for job in jobs
    ):
        score -= WINDOW_CLASH
        reasons.append(Reason("window_clash"))
    reasons.append(Reason("slack", slack))
    return Suggestion(technician.technician_id, technician.name, score, tuple(reasons))


def rank(
    ticket: TicketFacts,
    technicians: tuple[TechnicianFacts, ...],
    now: datetime.datetime,
    *,
    limit: int = SUGGESTIONS,
) -> tuple[Suggestion, ...]:
    """The best `limit` eligible technicians for the ticket, best first."""
    assessed = [
        (suggestion, len(technician.jobs_on(ticket.day)))
        for technician in technicians
        if (suggestion := assess(ticket, technician, now)) is not None
    ]
    assessed.sort(key=lambda pair: (-pair[0].score, pair[1], pair[0].name, pair[0].technician_id))
    return tuple(suggestion for suggestion, _load in assessed[:limit])


def reason_text(reason: Reason) -> str:
    """One reason in the user's language (同区域, 空调资质 → 家用电器资质, 当天 3 单, 剩 5 小时)."""
    code, value = reason.code, reason.value
    if code == "same_zone":
        return _("同区域")
    if code == "serves_zone":
        return _("服务该区域")
    if code == "out_of_zone":
        return _("区域外 %(km)s 公里") % {"km": value}
    if code == "skill":
        return _("%(category)s资质") % {"category": FaultCategory(value).label}
    if code == "fixed_unit":
        return _("曾修过此机")
    if code == "knows_customer":
        return _("曾服务该客户")
    if code == "load":
        return _("当天 %(count)d 单") % {"count": value}
    if code == "overloaded":
        return _("超负荷")
    if code == "window_clash":
        return _("预约时段冲突")
    if code == "slack":
        if value < 0:
            return _("已超时 %(hours)d 小时") % {"hours": -value}
        return _("剩 %(hours)d 小时") % {"hours": value}
    raise ValueError(f"unknown reason {code}")


def describe(reasons: tuple[Reason, ...], texts: dict[Reason, str] | None = None) -> str:
    """The reasons in one line. `texts`: the reasons already put into words in this request, reused (the
    board's tickets repeat 同区域, 当天 0 单 and the skills dozens of times)."""
    if texts is None:
        texts = {}
    return " · ".join(
        texts[reason] if reason in texts else texts.setdefault(reason, reason_text(reason))
        for reason in reasons
    )
