"""The satisfaction definition (surveys.scoring): share of answers 满意 or better."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.scoring import (
    QUESTION_FIELDS,
    SATISFIED_LEVELS,
    Level,
    Tally,
    aggregate,
    survey_tally,
    tally_levels,
)

levels = st.sampled_from(Level.values)
surveys = st.fixed_dictionaries({name: levels for name in QUESTION_FIELDS})


def test_four_levels_and_the_two_best_count_as_satisfied():
    assert [label for _value, label in Level.choices] == ["很满意", "满意", "一般", "不满意"]
    assert sorted(SATISFIED_LEVELS) == [3, 4]
    assert QUESTION_FIELDS == ("attitude", "skill", "punctuality", "promises")


def test_one_survey_scores_by_its_satisfied_answers():
    answers = {"attitude": 4, "skill": 3, "punctuality": 2, "promises": 1}
    tally = survey_tally(answers)
    assert (tally.satisfied, tally.answers) == (2, 4)
    assert tally.rate == Decimal("0.5000") and tally.percent == Decimal("50.0")


def test_aggregate_weighs_every_answer_not_every_survey():
    tally = aggregate(
        [
            {"attitude": 4, "skill": 4, "punctuality": 4, "promises": 4},
            {"attitude": 4, "skill": 3, "punctuality": 3, "promises": 1},
            {"attitude": 1, "skill": 2, "punctuality": 3, "promises": 4},
        ]
    )
    assert (tally.satisfied, tally.answers) == (9, 12)
    assert tally.percent == Decimal("75.0")


def test_nothing_answered_has_no_rate():
    assert Tally().rate is None and Tally().percent is None
    assert aggregate([]) == Tally()


@pytest.mark.parametrize("bad", [0, 5, None, "3"])
def test_a_value_that_is_not_a_level_is_refused(bad):
    with pytest.raises(ValueError):
        tally_levels([4, bad])


@given(st.lists(surveys, max_size=30))
def test_aggregate_equals_the_sum_of_survey_tallies_and_stays_in_range(batch):
    total = aggregate(batch)
    assert total == sum((survey_tally(answers) for answers in batch), Tally())
    assert total.answers == 4 * len(batch)
    assert 0 <= total.satisfied <= total.answers
    if batch:
        assert Decimal(0) <= total.rate <= Decimal(1)


@given(surveys)
def test_raising_any_answer_never_lowers_the_score(answers):
    before = survey_tally(answers).satisfied
    for name in QUESTION_FIELDS:
        better = {**answers, name: min(4, answers[name] + 1)}
        assert survey_tally(better).satisfied >= before
