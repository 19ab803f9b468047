"""Follow-up and complaint timing (surveys.rules): pure, no database."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys import rules

UTC = datetime.UTC


def test_the_seed_schedule_a_week_a_month_three_six_and_twelve_months():
    accepted = datetime.date(2026, 11, 27)
    assert rules.follow_up_schedule(accepted, (7, 30, 91, 182, 365)) == [
        (7, datetime.date(2026, 12, 4)),
        (30, datetime.date(2026, 12, 27)),
        (91, datetime.date(2027, 2, 26)),
        (182, datetime.date(2027, 5, 28)),
        (365, datetime.date(2027, 11, 27)),
    ]


def test_offsets_are_sorted_and_deduplicated_and_must_be_positive():
    day = datetime.date(2026, 1, 1)
    assert [offset for offset, _ in rules.follow_up_schedule(day, (30, 7, 30))] == [7, 30]
    with pytest.raises(ValueError):
        rules.follow_up_schedule(day, (7, 0))


@given(st.dates(), st.lists(st.integers(1, 1000), min_size=1, max_size=8))
def test_every_call_falls_after_acceptance_in_order(day, offsets):
    try:
        schedule = rules.follow_up_schedule(day, tuple(offsets))
    except OverflowError:
        return
    dates = [due for _, due in schedule]
    assert dates == sorted(dates) and all(due > day for due in dates)
    assert len(schedule) == len(set(offsets))


def test_an_unanswered_call_is_retried_the_next_day_until_the_last_attempt():
    today = datetime.date(2026, 11, 27)
    first = rules.unanswered(attempts_before=0, today=today, max_attempts=3)
    assert (first.attempts, first.retry_on, first.gives_up) == (1, datetime.date(2026, 11, 28), False)
    second = rules.unanswered(attempts_before=1, today=today, max_attempts=3)
    assert second.retry_on == datetime.date(2026, 11, 28)
    third = rules.unanswered(attempts_before=2, today=today, max_attempts=3)
    assert (third.attempts, third.gives_up) == (3, True)


def test_the_plan_is_due_72_clock_hours_after_receipt_over_a_weekend():
    friday_evening = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    assert rules.plan_due_at(friday_evening, 72) == datetime.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_reminder_levels():
    due = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    hours = datetime.timedelta(hours=1)
    assert rules.plan_reminder_level(due_at=due, now=due - 13 * hours) is None
    assert rules.plan_reminder_level(due_at=due, now=due - 12 * hours) == "due_soon"
    assert rules.plan_reminder_level(due_at=due, now=due) == "overdue"
    assert rules.plan_reminder_level(due_at=due, now=due + hours) == "overdue"
