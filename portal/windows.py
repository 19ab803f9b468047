"""Visit windows a customer may choose: the branch's working periods of the coming working days (a pure
rule: a WorkingCalendar and the time in, windows out)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from aftersales.workcalendar import WorkingCalendar

# A window must start this long after the report, so the dispatcher has time to plan the visit.
LEAD_TIME = datetime.timedelta(hours=2)
WORKING_DAYS = 5
# However many days off come in a row (Spring Festival), never look further than this.
HORIZON_DAYS = 30


@dataclass(frozen=True)
class VisitWindow:
    start: datetime.datetime
    end: datetime.datetime

    @property
    def value(self) -> str:
        return self.start.isoformat()


def visit_windows(
    calendar: WorkingCalendar, now: datetime.datetime, *, working_days: int = WORKING_DAYS
) -> tuple[VisitWindow, ...]:
    """Each working period of the next `working_days` days that have one, starting after the lead time."""
    earliest = now + LEAD_TIME
    day = now.astimezone(calendar.zone).date()
    windows: list[VisitWindow] = []
    days_with_windows = 0
    for _offset in range(HORIZON_DAYS):
        found = False
        for period in calendar.periods_on(day):
            start = datetime.datetime.combine(day, period.start, tzinfo=calendar.zone)
            end = datetime.datetime.combine(day, period.end, tzinfo=calendar.zone)
            if start >= earliest:
                windows.append(VisitWindow(start, end))
                found = True
        days_with_windows += found
        if days_with_windows >= working_days:
            break
        day += datetime.timedelta(days=1)
    return tuple(windows)
