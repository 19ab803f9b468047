"""Build a branch's `WorkingCalendar` from its hours, admin-entered exceptions and chinese-calendar.

Precedence for one date, strongest first: the branch's own exception, an exception for everyone, the
package's holidays and adjusted working days (调休), the weekday. The package's data is static and read
once per process; the admin's rows are few and read on every call, so an edit counts at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from accounts.models import Branch, BranchWorkingHours, CalendarException, CalendarYear
from aftersales.workcalendar import DEFAULT_WEEKLY_HOURS, SHANGHAI, WorkingCalendar, WorkPeriod


@dataclass(frozen=True)
class PackageCalendar:
    """What chinese-calendar knows: its days off, its adjusted working days and the years it covers."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]


@functools.cache
def package_calendar() -> PackageCalendar:
    """The package's data, read from its dictionaries (its functions raise NotImplementedError for a year
    it does not know; the dictionaries never do). Empty if the package is missing or changed shape."""
    try:
        import chinese_calendar

        holidays = frozenset(chinese_calendar.holidays)
        workdays = frozenset(chinese_calendar.workdays)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a broken install
        return PackageCalendar(frozenset(), frozenset(), frozenset())
    known = holidays | workdays
    years = frozenset(range(min(known).year, max(known).year + 1)) if known else frozenset()
    return PackageCalendar(holidays, workdays - holidays, years)


def confirmed_years() -> frozenset[int]:
    """Years whose holidays are known: the package's years and those an admin confirmed."""
    return package_calendar().years | frozenset(CalendarYear.objects.values_list("year", flat=True))


def unconfirmed_years_ahead(today: date) -> list[int]:
    """This year and the next, where not confirmed: what the admin warns about."""
    known = confirmed_years()
    return [year for year in (today.year, today.year + 1) if year not in known]


def _weekly_hours(branch: Branch | None) -> tuple[tuple[WorkPeriod, ...], ...]:
    if branch is None:
        return DEFAULT_WEEKLY_HOURS
    week: list[list[WorkPeriod]] = [[] for _ in range(7)]
    rows = BranchWorkingHours.objects.filter(branch=branch).values_list("weekday", "start", "end")
    for weekday, start, end in rows:
        week[weekday].append(WorkPeriod(start, end))
    if not any(week):
        return DEFAULT_WEEKLY_HOURS
    return tuple(tuple(day) for day in week)


def calendar_for_branch(branch: Branch | None) -> WorkingCalendar:
    """The working calendar of `branch` (None: the default hours and the exceptions for everyone).

    Three small queries; never raises for a year the package does not know.
    """
    package = package_calendar()
    kinds: dict[date, str] = dict.fromkeys(package.holidays, CalendarException.Kind.HOLIDAY)
    kinds.update(dict.fromkeys(package.workdays, CalendarException.Kind.WORKING_DAY))
    scope = Q(branch__isnull=True) if branch is None else Q(branch__isnull=True) | Q(branch=branch)
    rows = CalendarException.objects.filter(scope).values_list("date", "kind", "branch_id")
    # Rows for everyone first, so that the branch's own row for the same date wins.
    for day, kind, _branch_id in sorted(rows, key=lambda row: row[2] is not None):
        kinds[day] = kind
    days_off = frozenset(day for day, kind in kinds.items() if kind == CalendarException.Kind.HOLIDAY)
    working = frozenset(day for day, kind in kinds.items() if kind == CalendarException.Kind.WORKING_DAY)
    return WorkingCalendar(
        weekly_hours=_weekly_hours(branch),
        zone=SHANGHAI,
        days_off=days_off,
        extra_working_days=working,
        confirmed_years=confirmed_years(),
    )
