"""Invariants of working-time arithmetic over random calendars, instants and amounts (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.workcalendar import (
    SHANGHAI,
    WorkingCalendar,
    WorkPeriod,
    add_working_hours,
    is_working_time,
    next_working_instant,
    subtract_working_hours,
    working_hours_between,
)

EXAMPLES = settings(max_examples=100, deadline=None)
EPSILON = timedelta(microseconds=1)


@st.composite
def day_periods(draw) -> tuple[WorkPeriod, ...]:
    """Zero to three non-overlapping periods on a quarter-hour grid (touching periods allowed)."""
    marks = sorted(draw(st.sets(st.integers(min_value=0, max_value=95), max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    return tuple(
        WorkPeriod(time(start // 4, start % 4 * 15), time(end // 4, end % 4 * 15))
        for start, end in zip(marks[::2], marks[1::2], strict=True)
    )


SOME_DAYS = st.frozensets(st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 3, 31)), max_size=25)


# The default hours with the package's real holidays and 调休 (2026 National Day falls in the range).
PACKAGE_CALENDAR = WorkingCalendar(
    days_off=frozenset(chinese_calendar.holidays),
    extra_working_days=frozenset(chinese_calendar.workdays) - frozenset(chinese_calendar.holidays),
)


@st.composite
def calendars(draw) -> WorkingCalendar:
    if draw(st.booleans()):
        return PACKAGE_CALENDAR
    week = draw(st.lists(day_periods(), min_size=7, max_size=7).filter(any))
    days_off = draw(SOME_DAYS)
    working = draw(SOME_DAYS) - days_off
    return WorkingCalendar(weekly_hours=tuple(week), days_off=days_off, extra_working_days=working)


instants = st.builds(
    lambda moment, zone: moment.replace(tzinfo=SHANGHAI).astimezone(zone),
    st.datetimes(min_value=datetime(2026, 9, 1), max_value=datetime(2027, 3, 31)),  # noqa: DTZ001
    st.sampled_from([SHANGHAI, UTC]),
)
amounts = st.integers(min_value=0, max_value=300 * 60).map(lambda minutes: timedelta(minutes=minutes))
positive = st.integers(min_value=1, max_value=300 * 3600).map(lambda seconds: timedelta(seconds=seconds))


@EXAMPLES
@given(calendars(), instants, positive)
def test_adding_then_measuring_gives_the_amount_back(cal, start, amount):
    deadline = add_working_hours(cal, start, amount)
    assert working_hours_between(cal, next_working_instant(cal, start), deadline) == amount
    assert working_hours_between(cal, start, deadline) == amount


@EXAMPLES
@given(calendars(), instants, positive)
def test_going_back_then_measuring_gives_the_amount_back(cal, end, amount):
    start = subtract_working_hours(cal, end, amount)
    assert working_hours_between(cal, start, end) == amount
    # The instant going back reached was worked: the result is inside a period or on its start.
    assert is_working_time(cal, start) and start.tzinfo == cal.zone


@EXAMPLES
@given(calendars(), instants, positive)
def test_deadline_is_never_inside_a_non_working_period(cal, start, amount):
    deadline = add_working_hours(cal, start, amount)
    # The instant just before the deadline was worked: the deadline is inside a period or on its end.
    assert is_working_time(cal, deadline - EPSILON)
    assert deadline.tzinfo == cal.zone


@EXAMPLES
@given(calendars(), instants, amounts, amounts)
def test_monotone_in_the_amount(cal, start, a, b):
    small, large = sorted((a, b))
    assert add_working_hours(cal, start, small) <= add_working_hours(cal, start, large)


@EXAMPLES
@given(calendars(), instants, instants, positive)
def test_monotone_in_the_start(cal, first, second, amount):
    early, late = sorted((first, second))
    assert add_working_hours(cal, early, amount) <= add_working_hours(cal, late, amount)


@EXAMPLES
@given(calendars(), instants, amounts, amounts)
def test_adding_a_then_b_is_adding_a_plus_b(cal, start, a, b):
    assert add_working_hours(cal, add_working_hours(cal, start, a), b) == add_working_hours(cal, start, a + b)


@EXAMPLES
@given(calendars(), instants, instants, instants)
def test_measuring_is_additive_and_antisymmetric(cal, a, b, c):
    ab, bc = working_hours_between(cal, a, b), working_hours_between(cal, b, c)
    assert ab + bc == working_hours_between(cal, a, c)
    assert working_hours_between(cal, b, a) == -ab


@EXAMPLES
@given(calendars(), instants)
def test_next_working_instant_is_the_first_working_instant(cal, at):
    found = next_working_instant(cal, at)
    assert found >= at
    assert is_working_time(cal, found)
    assert working_hours_between(cal, at, found) == timedelta(0)
