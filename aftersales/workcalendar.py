"""Working time: add working hours to an instant and measure working hours between two instants.

Pure (frozen dataclasses in, values out; no ORM, no settings, no clock), so SLA deadlines (DESIGN §5, rules
that say 上班时间) come out the same from a view, a Celery sweep or an import, and can be tested by the
thousand. `accounts.calendars.calendar_for_branch` builds a `WorkingCalendar` from the database and the
chinese-calendar package.

Conventions:
- Working periods are half-open, [08:30, 12:00): 08:30 is working time, 12:00 is not.
- `add_working_hours(cal, start, n)` with n > 0 ends at the end of the last working instant used, so a
  deadline that uses up a day ends at 17:30 that day, never at 08:30 the next working day. The result is
  therefore never strictly inside a non-working period; it may sit on a period's end. Adding 0 returns
  `start` unchanged (in the calendar's zone); a negative amount is an error (deadlines only go forward).
- `subtract_working_hours(cal, end, n)` is its mirror: the instant n working hours before `end`, never
  strictly inside a non-working period; it may sit on a period's start. It places a deadline that was
  already missed by n when its clock stopped (`tickets.sla`).
- `working_hours_between(cal, start, end)` is antisymmetric: negative when end < start (how far past a
  deadline we are, in working time), zero when equal.
- A date in `days_off` has no working hours; a date in `extra_working_days` (调休) has the hours of a
  normal working day, `working_day_hours` (by default Monday's hours), whatever its weekday.
- Any year works: a year without holiday data simply uses the weekly hours and the extra dates it has.
  `is_confirmed` / `unconfirmed_years` tell whether a computation rests on such a year, so the caller can
  show the deadline as provisional.
- Inputs may be in any zone (UTC from the database); results are in the calendar's zone. Arithmetic is
  done in UTC, so a zone with DST would still count real elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from aftersales.texts import list_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class WorkPeriod:
    """One stretch of working time inside a day, [start, end)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("work periods use naive wall-clock times of the calendar's zone")
        if not self.end > self.start:
            raise ValueError(f"a work period must end after it starts: {self.start}-{self.end}")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _periods(periods: Iterable[WorkPeriod | tuple[time, time]]) -> tuple[WorkPeriod, ...]:
    result = tuple(sorted(p if isinstance(p, WorkPeriod) else WorkPeriod(*p) for p in periods))
    for before, after in zip(result, result[1:], strict=False):
        if after.start < before.end:
            raise ValueError(f"work periods overlap: {before} and {after}")
    return result


MORNING = WorkPeriod(time(8, 30), time(12, 0))
AFTERNOON = WorkPeriod(time(13, 30), time(17, 30))
# Monday–Friday 08:30–12:00 and 13:30–17:30: the default for a branch that entered no hours.
DEFAULT_WEEKLY_HOURS: tuple[tuple[WorkPeriod, ...], ...] = ((MORNING, AFTERNOON),) * 5 + ((), ())


@dataclass(frozen=True)
class WorkingCalendar:
    """Everything a deadline needs: weekly hours, zone, exceptional dates and the years known for sure.

    `weekly_hours` has seven entries, Monday first (also accepted: a mapping weekday -> periods).
    `confirmed_years` are the years whose public holidays and 调休 are known (package data or confirmed
    by an admin); other years still work, on weekdays and `days_off` / `extra_working_days` alone.
    """

    weekly_hours: tuple[tuple[WorkPeriod, ...], ...] = DEFAULT_WEEKLY_HOURS
    zone: tzinfo = SHANGHAI
    days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    confirmed_years: frozenset[int] = frozenset()
    # The hours of an adjusted working day (调休, e.g. a Saturday worked before National Day); empty means
    # the hours of the first weekday that has hours (Monday for the default week).
    working_day_hours: tuple[WorkPeriod, ...] = field(default=())

    def __post_init__(self) -> None:
        weekly = self.weekly_hours
        if isinstance(weekly, Mapping):
            weekly = [weekly.get(day, ()) for day in range(7)]
        weekly = tuple(_periods(day) for day in weekly)
        if len(weekly) != 7:
            raise ValueError("weekly_hours needs seven days, Monday first")
        if not any(weekly):
            # Without a single working period a week, adding hours could never finish.
            raise ValueError("a working calendar needs at least one working period a week")
        object.__setattr__(self, "weekly_hours", weekly)
        object.__setattr__(self, "days_off", frozenset(self.days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        object.__setattr__(self, "confirmed_years", frozenset(self.confirmed_years))
        both = self.days_off & self.extra_working_days
        if both:
            raise ValueError(f"dates both off and working: {sorted(both)}")
        hours = _periods(self.working_day_hours) or next(day for day in weekly if day)
        object.__setattr__(self, "working_day_hours", hours)

    def periods_on(self, day: date) -> tuple[WorkPeriod, ...]:
        """The working periods of one local date, after holidays and adjusted working days."""
        if day in self.days_off:
            return ()
        if day in self.extra_working_days:
            return self.working_day_hours
        return self.weekly_hours[day.weekday()]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("working time needs aware datetimes (store and pass UTC-aware values)")
    return value.astimezone(UTC)


def _as_timedelta(hours: Decimal | float | int | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        return hours
    if isinstance(hours, bool):
        raise TypeError("hours must be a number or a timedelta")
    # Through Decimal so that 0.1 h is 360 s exactly and not 359.999… s.
    micro = (Decimal(str(hours)) * 3_600_000_000).to_integral_value()
    return timedelta(microseconds=int(micro))


def _intervals(calendar: WorkingCalendar, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The UTC intervals of one local date's working periods."""
    for period in calendar.periods_on(day):
        start = datetime.combine(day, period.start, tzinfo=calendar.zone).astimezone(UTC)
        end = datetime.combine(day, period.end, tzinfo=calendar.zone).astimezone(UTC)
        if end > start:  # a DST gap can swallow a period
            yield start, end


def _local_day(calendar: WorkingCalendar, instant: datetime) -> date:
    return instant.astimezone(calendar.zone).date()


def is_working_time(calendar: WorkingCalendar, at: datetime) -> bool:
    """Whether `at` lies inside a working period (a period's end is not working time)."""
    at = _utc(at)
    return any(start <= at < end for start, end in _intervals(calendar, _local_day(calendar, at)))


def next_working_instant(calendar: WorkingCalendar, at: datetime) -> datetime:
    """The first working instant at or after `at`: where a clock started at `at` begins to run."""
    cursor = _utc(at)
    day = _local_day(calendar, cursor)
    while True:  # ends: every week has a working period and the exceptional dates are finite
        for start, end in _intervals(calendar, day):
            if cursor < end:
                return max(cursor, start).astimezone(calendar.zone)
        day += ONE_DAY


def add_working_hours(
    calendar: WorkingCalendar, start: datetime, hours: Decimal | float | int | timedelta
) -> datetime:
    """The instant when `hours` of working time counted from `start` have passed (see the module's
    conventions: a deadline that uses up a period ends on that period's end)."""
    remaining = _as_timedelta(hours)
    if remaining < ZERO:
        raise ValueError("cannot add a negative amount of working time")
    cursor = _utc(start)
    if remaining == ZERO:
        return cursor.astimezone(calendar.zone)
    day = _local_day(calendar, cursor)
    # Day by day, not minute by minute: 2,000 hours are about 380 iterations.
    while True:
        for period_start, period_end in _intervals(calendar, day):
            if period_end <= cursor:
                continue
            begin = max(cursor, period_start)
            available = period_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(calendar.zone)
            remaining -= available
            cursor = period_end
        day += ONE_DAY


def subtract_working_hours(
    calendar: WorkingCalendar, end: datetime, hours: Decimal | float | int | timedelta
) -> datetime:
    """The instant `hours` of working time before `end`: working_hours_between(result, end) == hours."""
    remaining = _as_timedelta(hours)
    if remaining < ZERO:
        raise ValueError("cannot subtract a negative amount of working time")
    cursor = _utc(end)
    if remaining == ZERO:
        return cursor.astimezone(calendar.zone)
    day = _local_day(calendar, cursor)
    while True:
        for period_start, period_end in reversed(list(_intervals(calendar, day))):
            if period_start >= cursor:
                continue
            finish = min(cursor, period_end)
            available = finish - period_start
            if remaining <= available:
                return (finish - remaining).astimezone(calendar.zone)
            remaining -= available
            cursor = period_start
        day -= ONE_DAY


def working_hours_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end); negative when end < start, so that the time by which a deadline
    was missed reads as a negative remainder."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -working_hours_between(calendar, end, start)
    total = ZERO
    day, last = _local_day(calendar, start), _local_day(calendar, end)
    while day <= last:
        for period_start, period_end in _intervals(calendar, day):
            overlap = min(end, period_end) - max(start, period_start)
            if overlap > ZERO:
                total += overlap
        day += ONE_DAY
    return total


def unconfirmed_years(calendar: WorkingCalendar, start: datetime, end: datetime) -> tuple[int, ...]:
    """The local years touched by [start, end] whose holidays are not confirmed, in order."""
    first, last = sorted((_local_day(calendar, _utc(start)).year, _local_day(calendar, _utc(end)).year))
    return tuple(year for year in range(first, last + 1) if year not in calendar.confirmed_years)


def is_confirmed(calendar: WorkingCalendar, start: datetime, end: datetime) -> bool:
    """Whether a deadline from `start` to `end` rests only on years whose holidays are known; when not,
    it is provisional: a holiday announced later can move it."""
    return not unconfirmed_years(calendar, start, end)


def unconfirmed_note(years: Iterable[int]) -> str:
    """A sentence for the user about a provisional deadline, in the active language; '' when none."""
    years = sorted(set(years))
    if not years:
        return ""
    return _("%(years)s 年的节假日安排尚未确认,此期限按普通工作日计算,可能变动") % {
        "years": list_text(str(year) for year in years)
    }
