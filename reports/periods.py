"""Report periods as UTC-aware half-open ranges: a month or a day in Asia/Shanghai (pure, no ORM).

A month is [first day 00:00, first day of the next month 00:00) in the local zone, so a call at
2026-10-31 23:30 +08:00 (15:30 UTC) is October's and one at 2026-11-01 00:10 +08:00 (still
2026-10-31 16:10 UTC) is November's. Filter with `__gte=start, __lt=end`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aftersales.bounds import EARLIEST_DATE, LATEST_DATE

REPORT_ZONE = ZoneInfo("Asia/Shanghai")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        # Any month whose bounds in UTC Python's datetime can hold (a trend reaches back 11 months).
        if not 1 <= self.month <= 12 or not datetime.MINYEAR < self.year < datetime.MAXYEAR:
            raise ValueError(f"no such month: {self.year}-{self.month}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, text: str) -> Month:
        """A month typed as 2026-10, within the accepted dates (aftersales.bounds)."""
        match = _MONTH.match(text.strip())
        if not match or not EARLIEST_DATE.year <= int(match[1]) <= LATEST_DATE.year:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: datetime.date) -> Month:
        """The month `day` falls in (the dashboard's default: what is happening now)."""
        return cls(day.year, day.month)

    @classmethod
    def previous(cls, today: datetime.date) -> Month:
        """The last complete month before `today` (the monthly report's default)."""
        return cls.of(today.replace(day=1) - datetime.timedelta(days=1))

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def minus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 - months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime(self.year, self.month, 1, tzinfo=REPORT_ZONE)

    @property
    def end(self) -> datetime.datetime:
        return self.next().start

    @property
    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        return self.start, self.end


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[day 00:00, next day 00:00) in Asia/Shanghai."""
    start = datetime.datetime.combine(day, datetime.time(), REPORT_ZONE)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), REPORT_ZONE)


def range_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[first 00:00, the day after last 00:00): both days included."""
    return day_bounds(first)[0], day_bounds(last)[1]
