"""The visit windows offered to a customer come from the branch's working calendar (a pure rule)."""

from __future__ import annotations

import datetime

from aftersales.workcalendar import SHANGHAI, WorkingCalendar
from portal.windows import LEAD_TIME, visit_windows


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_the_working_periods_of_the_next_five_working_days_after_the_lead_time():
    friday_morning = at(2026, 12, 4, 9, 0)
    windows = visit_windows(WorkingCalendar(), friday_morning)
    starts = [w.start for w in windows]
    assert starts[0] == at(2026, 12, 4, 13, 30)  # the morning is too soon (2 h lead)
    assert at(2026, 12, 5, 8, 30) not in starts and at(2026, 12, 6, 8, 30) not in starts  # the weekend
    assert starts[1:3] == [at(2026, 12, 7, 8, 30), at(2026, 12, 7, 13, 30)]
    assert len({w.start.date() for w in windows}) == 5
    assert all(w.end > w.start >= friday_morning + LEAD_TIME for w in windows)


def test_holidays_are_skipped_and_an_adjusted_working_day_is_offered():
    calendar = WorkingCalendar(
        days_off=frozenset({datetime.date(2026, 12, 7)}),
        extra_working_days=frozenset({datetime.date(2026, 12, 6)}),
    )
    days = [w.start.date() for w in visit_windows(calendar, at(2026, 12, 4, 18, 0))]
    assert datetime.date(2026, 12, 7) not in days and datetime.date(2026, 12, 6) in days


def test_a_long_holiday_still_ends_in_a_window_within_the_horizon():
    off = frozenset(datetime.date(2027, 2, 1) + datetime.timedelta(days=n) for n in range(20))
    windows = visit_windows(WorkingCalendar(days_off=off), at(2027, 1, 31, 20, 0), working_days=1)
    assert windows and windows[0].start.date() == datetime.date(2027, 2, 22)
