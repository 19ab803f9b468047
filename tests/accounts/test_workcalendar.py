"""Deadlines on the working calendar, table-driven: weekends, 2026 National Day and its 调休, the lunch
break, starts outside working hours, UTC inputs, unknown years and long spans."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from aftersales.workcalendar import (
    SHANGHAI,
    WorkingCalendar,
    WorkPeriod,
    add_working_hours,
    is_confirmed,
    is_working_time,
    next_working_instant,
    subtract_working_hours,
    unconfirmed_note,
    unconfirmed_years,
    working_hours_between,
)


def at(text: str) -> datetime:
    """'2026-11-27 09:00' in Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# 2026 from chinese-calendar 1.11: 中秋 Sep 25 (Fri)–27, 国庆 Oct 1 (Thu)–7, adjusted working days
# Sun Sep 20 and Sat Oct 10. Listed by hand so this module tests the arithmetic, not the package.
NATIONAL_DAY_2026 = frozenset(date(2026, 10, day) for day in range(1, 8)) | {
    date(2026, 9, 25),
    date(2026, 9, 26),
    date(2026, 9, 27),
}
WORKING_WEEKENDS_2026 = frozenset({date(2026, 9, 20), date(2026, 10, 10)})
CAL = WorkingCalendar(
    days_off=NATIONAL_DAY_2026,
    extra_working_days=WORKING_WEEKENDS_2026,
    confirmed_years=frozenset(range(2004, 2027)),
)

# Friday 2026-11-27; a day has 7.5 working hours.
CASES = [
    # (label, start, hours, expected deadline)
    ("inside the morning", "2026-11-27 09:00", 2, "2026-11-27 11:00"),
    ("across the lunch break", "2026-11-27 11:00", 2, "2026-11-27 14:30"),
    ("ends exactly at lunch", "2026-11-27 10:00", 2, "2026-11-27 12:00"),
    ("ends exactly at closing, not next morning", "2026-11-27 08:30", "7.5", "2026-11-27 17:30"),
    ("start during lunch", "2026-11-27 12:15", 1, "2026-11-27 14:30"),
    ("start before opening", "2026-11-27 06:00", 1, "2026-11-27 09:30"),
    ("start after closing, over the weekend", "2026-11-27 19:00", 1, "2026-11-30 09:30"),
    ("across the weekend", "2026-11-27 16:30", 2, "2026-11-30 09:30"),
    ("start on a Sunday", "2026-11-29 10:00", 6, "2026-11-30 16:00"),
    ("city dispatch, 6 working hours (§7-十九)", "2026-11-27 15:00", 6, "2026-11-30 12:00"),
    ("suburb dispatch, 7 working hours", "2026-11-27 15:00", 7, "2026-11-30 14:30"),
    ("fractional hours", "2026-11-27 09:00", Decimal("0.25"), "2026-11-27 09:15"),
    ("float hours", "2026-11-27 09:00", 0.1, "2026-11-27 09:06"),
    ("timedelta", "2026-11-27 09:00", timedelta(minutes=45), "2026-11-27 09:45"),
    ("zero hours stays put, even off hours", "2026-11-27 19:00", 0, "2026-11-27 19:00"),
    # Mid-autumn Fri Sep 25 and National Day Oct 1–7 are off; Sun Sep 20 and Sat Oct 10 are worked.
    ("over National Day", "2026-09-30 16:30", 2, "2026-10-08 09:30"),
    ("start on a holiday", "2026-10-03 10:00", 1, "2026-10-08 09:30"),
    ("Friday into the adjusted Saturday", "2026-10-09 17:00", 1, "2026-10-10 09:00"),
    ("Thursday after the holiday to the adjusted Saturday", "2026-10-08 08:30", 16, "2026-10-10 09:30"),
    ("adjusted Saturday has weekday hours", "2026-10-10 08:30", "7.5", "2026-10-10 17:30"),
    ("adjusted Saturday to Monday", "2026-10-10 17:00", 1, "2026-10-12 09:00"),
    ("adjusted Sunday before mid-autumn", "2026-09-19 10:00", 2, "2026-09-20 10:30"),
    ("Thursday before mid-autumn to Monday", "2026-09-24 17:00", 1, "2026-09-28 09:00"),
]


@pytest.mark.parametrize(("label", "start", "hours", "expected"), CASES, ids=[case[0] for case in CASES])
def test_deadline(label, start, hours, expected):
    deadline = add_working_hours(CAL, at(start), hours)
    assert deadline == at(expected)
    assert deadline.tzinfo == SHANGHAI


@pytest.mark.parametrize(("label", "start", "hours", "expected"), CASES, ids=[case[0] for case in CASES])
def test_measuring_gives_the_hours_back(label, start, hours, expected):
    hours = hours if isinstance(hours, timedelta) else timedelta(hours=float(Decimal(str(hours))))
    assert working_hours_between(CAL, at(start), at(expected)) == hours


# Back from an instant: where a deadline missed by that much was due (worked out by hand).
BACK_CASES = [
    # (label, end, hours, expected start)
    ("inside the morning", "2026-11-27 11:00", 2, "2026-11-27 09:00"),
    ("back across the lunch break", "2026-11-27 14:30", 2, "2026-11-27 11:00"),
    ("from the lunch break", "2026-11-27 12:45", 1, "2026-11-27 11:00"),
    ("a whole day back from closing stops at opening", "2026-11-27 17:30", "7.5", "2026-11-27 08:30"),
    ("Monday morning back over the weekend", "2026-11-30 09:30", 2, "2026-11-27 16:30"),
    ("from a Sunday", "2026-11-29 10:00", 1, "2026-11-27 16:30"),
    ("back over National Day", "2026-10-08 09:30", 2, "2026-09-30 16:30"),
    ("the adjusted Saturday back to Friday", "2026-10-10 09:00", 1, "2026-10-09 17:00"),
    ("zero hours stays put, even off hours", "2026-11-27 19:00", 0, "2026-11-27 19:00"),
]


@pytest.mark.parametrize(
    ("label", "end", "hours", "expected"), BACK_CASES, ids=[case[0] for case in BACK_CASES]
)
def test_back_from_an_instant(label, end, hours, expected):
    start = subtract_working_hours(CAL, at(end), hours)
    assert start == at(expected) and start.tzinfo == SHANGHAI
    hours = timedelta(hours=float(Decimal(str(hours))))
    assert working_hours_between(CAL, start, at(end)) == hours


def test_subtracting_negative_hours_is_refused():
    with pytest.raises(ValueError, match="negative"):
        subtract_working_hours(CAL, at("2026-11-27 09:00"), -1)


def test_utc_inputs_give_shanghai_results():
    start = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    deadline = add_working_hours(CAL, start, 2)
    assert deadline == at("2026-11-27 11:00")
    assert deadline.utcoffset() == timedelta(hours=8)
    assert str(deadline) == "2026-11-27 11:00:00+08:00"
    assert working_hours_between(CAL, start, datetime(2026, 11, 27, 3, 0, tzinfo=UTC)) == timedelta(hours=2)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(CAL, datetime(2026, 11, 27, 9), 1)  # noqa: DTZ001


def test_negative_hours_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_hours(CAL, at("2026-11-27 09:00"), -1)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-11-27 09:00", "2026-11-27 09:00", 0),
        ("2026-11-27 12:00", "2026-11-27 13:30", 0),  # lunch
        ("2026-11-28 00:00", "2026-11-29 23:59", 0),  # weekend
        ("2026-10-01 00:00", "2026-10-08 00:00", 0),  # National Day
        ("2026-11-23 00:00", "2026-11-30 00:00", Decimal("37.5")),  # a plain week
        ("2026-11-27 11:00", "2026-11-27 09:00", -2),  # end before start: negative
        ("2026-11-30 09:30", "2026-11-27 16:30", -2),
    ],
)
def test_working_hours_between(start, end, hours):
    assert working_hours_between(CAL, at(start), at(end)) == timedelta(hours=float(hours))


@pytest.mark.parametrize(
    ("instant", "working", "next_instant"),
    [
        ("2026-11-27 08:30", True, "2026-11-27 08:30"),  # a period's start is working time
        ("2026-11-27 11:59", True, "2026-11-27 11:59"),
        ("2026-11-27 12:00", False, "2026-11-27 13:30"),  # its end is not
        ("2026-11-27 17:30", False, "2026-11-30 08:30"),
        ("2026-11-27 07:00", False, "2026-11-27 08:30"),
        ("2026-10-01 10:00", False, "2026-10-08 08:30"),
        ("2026-10-10 10:00", True, "2026-10-10 10:00"),
    ],
)
def test_is_working_time_and_next_working_instant(instant, working, next_instant):
    assert is_working_time(CAL, at(instant)) is working
    assert next_working_instant(CAL, at(instant)) == at(next_instant)


def test_custom_weekly_hours_and_explicit_adjusted_day_hours():
    # A store open Tuesday–Sunday 10:00–18:00, and 09:00–12:00 on an adjusted working Monday.
    store = WorkingCalendar(
        weekly_hours={day: [(time(10), time(18))] for day in range(1, 7)},
        extra_working_days=frozenset({date(2026, 11, 30)}),
        working_day_hours=(WorkPeriod(time(9), time(12)),),
    )
    assert add_working_hours(store, at("2026-11-29 17:00"), 2) == at("2026-11-30 10:00")
    assert add_working_hours(store, at("2026-11-29 17:00"), 5) == at("2026-12-01 11:00")


def test_adjusted_day_uses_the_first_working_weekday_hours_by_default():
    assert CAL.periods_on(date(2026, 10, 10)) == CAL.weekly_hours[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weekly_hours": ((),) * 7},
        {"weekly_hours": (((time(9), time(12)), (time(11), time(13))),) + ((),) * 6},
        {"weekly_hours": (((time(12), time(9)),),) + ((),) * 6},
        {"weekly_hours": ((),) * 6},
        {"days_off": frozenset({date(2027, 1, 1)}), "extra_working_days": frozenset({date(2027, 1, 1)})},
    ],
    ids=["no hours", "overlap", "end before start", "six days", "off and working"],
)
def test_invalid_calendars_are_refused(kwargs):
    with pytest.raises(ValueError):
        WorkingCalendar(**kwargs)


class TestUnknownYear:
    """2027: chinese-calendar 1.11 has no data; deadlines still come out, flagged as provisional."""

    def test_weekdays_only_without_admin_data(self):
        # 2027-01-01 is a Friday: without data it is a plain working day.
        start = at("2026-12-31 16:30")
        deadline = add_working_hours(CAL, start, 2)
        assert deadline == at("2027-01-01 09:30")
        assert not is_confirmed(CAL, start, deadline)
        assert unconfirmed_years(CAL, start, deadline) == (2027,)

    def test_admin_entered_holidays_count(self):
        cal = WorkingCalendar(
            days_off=frozenset({date(2027, 1, 1)}),
            extra_working_days=frozenset({date(2027, 1, 2)}),  # hypothetical adjusted Saturday
            confirmed_years=frozenset({2026}),
        )
        start = at("2026-12-31 16:30")
        assert add_working_hours(cal, start, 2) == at("2027-01-02 09:30")
        assert not is_confirmed(cal, start, add_working_hours(cal, start, 2))

    def test_confirmed_by_admin(self):
        cal = WorkingCalendar(days_off=frozenset({date(2027, 1, 1)}), confirmed_years=frozenset({2026, 2027}))
        start = at("2026-12-31 16:30")
        assert is_confirmed(cal, start, add_working_hours(cal, start, 2))

    def test_within_a_known_year(self):
        start = at("2026-11-27 09:00")
        assert is_confirmed(CAL, start, add_working_hours(CAL, start, 10))

    @pytest.mark.parametrize("year", [1900, 2003, 2027, 2050, 2999, 9000])
    def test_any_year_never_raises(self, year):
        start = datetime(year, 6, 1, 10, tzinfo=SHANGHAI)
        deadline = add_working_hours(CAL, start, 24)
        assert working_hours_between(CAL, start, deadline) == timedelta(hours=24)
        assert is_working_time(CAL, deadline - timedelta(microseconds=1))
        assert unconfirmed_years(CAL, start, deadline) == (year,)

    def test_note(self):
        assert unconfirmed_note([]) == ""
        assert "2027" in unconfirmed_note([2027, 2027])


def test_large_span_is_fast_and_exact():
    start = at("2026-01-05 08:30")  # a Monday
    began = clock.perf_counter()
    deadline = add_working_hours(CAL, start, 2000)
    measured = working_hours_between(CAL, start, deadline)
    elapsed = clock.perf_counter() - began
    assert measured == timedelta(hours=2000)
    assert deadline.year == 2027
    assert elapsed < 0.5
    # 2000 h / 7.5 h = 266 working days and 5 hours: the deadline is in a period, after its first 5 hours
    # of the day (08:30–12:00 is 3.5 h, so 13:30 + 1.5 h).
    assert deadline.time() == time(15, 0)
