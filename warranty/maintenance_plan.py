"""The visit plan of a maintenance contract (保养合同, §7-二十; issue #18 item 9): which days a covered
unit is due a preventive visit. Pure: dates in, dates out, no ORM.

A plan is every N months from the contract's start (the start itself included: the first visit opens
the contract), or a list of dates; both may be given, and only days within the contract count. A month
without the start's day takes its last day (31 January + 1 month = 28 or 29 February).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

MAX_EVERY_MONTHS = 24


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def planned_dates(
    *,
    start: datetime.date,
    end: datetime.date,
    every_months: int | None = None,
    dates: Iterable[datetime.date] = (),
) -> tuple[datetime.date, ...]:
    """Every visit day of the plan within [start, end], in order, without repeats."""
    days = {day for day in dates if start <= day <= end}
    if every_months:
        if not 1 <= every_months <= MAX_EVERY_MONTHS:
            raise ValueError(f"every_months must be 1-{MAX_EVERY_MONTHS}")
        step = 0
        while (day := add_months(start, step * every_months)) <= end:
            days.add(day)
            step += 1
    return tuple(sorted(days))


def parse_dates(values: Iterable[str]) -> tuple[datetime.date, ...]:
    """The stored list of ISO dates (MaintenanceContract.visit_dates) as dates; ValueError if one is not."""
    return tuple(datetime.date.fromisoformat(str(value)) for value in values)
