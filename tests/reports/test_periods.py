"""Month and day boundaries in Asia/Shanghai, as UTC instants (pure)."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.periods import REPORT_ZONE, Month, day_bounds, range_bounds

UTC = datetime.UTC


def test_a_month_runs_from_local_midnight_of_the_first_to_local_midnight_of_the_next_first():
    november = Month(2026, 11)
    assert november.start.astimezone(UTC) == datetime.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert november.end.astimezone(UTC) == datetime.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_the_last_half_hour_of_october_in_shanghai_is_october_although_the_utc_day_is_the_same():
    late_october = datetime.datetime(2026, 10, 31, 23, 30, tzinfo=REPORT_ZONE)
    early_november = datetime.datetime(2026, 11, 1, 0, 10, tzinfo=REPORT_ZONE)
    assert late_october.astimezone(UTC) == datetime.datetime(2026, 10, 31, 15, 30, tzinfo=UTC)
    assert early_november.astimezone(UTC) == datetime.datetime(2026, 10, 31, 16, 10, tzinfo=UTC)
    october, november = Month(2026, 10), Month(2026, 11)
    assert october.start <= late_october < october.end
    assert november.start <= early_november < november.end
    assert not october.start <= early_november < october.end


def test_parse_previous_and_arithmetic():
    assert Month.parse("2026-10") == Month(2026, 10)
    assert str(Month(2026, 3)) == "2026-03"
    assert Month.previous(datetime.date(2026, 1, 15)) == Month(2025, 12)
    assert Month(2026, 1).minus(1) == Month(2025, 12)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 11).minus(11) == Month(2025, 12)
    for bad in ("2026-13", "2026-1", "oct", "1999-12"):
        with pytest.raises(ValueError):
            Month.parse(bad)


@given(st.integers(min_value=2000 * 12, max_value=2998 * 12))
def test_consecutive_months_tile_time_without_gap_or_overlap(index):
    month = Month(index // 12, index % 12 + 1)
    assert month.end == month.next().start
    assert month.start < month.end
    assert month.minus(-1) == month.next() and month.next().minus(1) == month


def test_day_and_range_bounds():
    start, end = day_bounds(datetime.date(2026, 11, 1))
    assert start.astimezone(UTC) == datetime.datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert end - start == datetime.timedelta(days=1)
    first, last = range_bounds(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    assert (first, last) == (Month(2026, 11).start, Month(2026, 11).end)
