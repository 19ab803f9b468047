"""Satisfaction: the one definition every screen, report and KPI uses (§7-二十五, §1-3.2.1).

A survey has four questions (§7-二十五: attitude, skill, arrival time, keeping promises), each answered
on four levels. **Satisfaction is the share of answers at 满意 or better** (`SATISFIED_LEVELS`):

- per survey: satisfied answers / 4 (so 0, 25, 50, 75 or 100 %);
- over any set of surveys (a branch, a technician's month, a product): satisfied answers / all answers,
  so every answer weighs the same and an aggregate is never an average of averages.

The target (≥ 85 %, §1-3.2.1) is a setting, `KPI_TARGETS`, read by `reports.metrics`. A technician's monthly
appraisal score (§7-二十三) is the same rate over the surveys of the tickets they served that month.

Pure: no database access. Reports count in SQL with `Survey.objects.satisfaction_tally()`, which
returns the same `Tally`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import IntegerChoices
from django.utils.translation import gettext_lazy as _


class Level(IntegerChoices):
    """The four levels a customer ticks (§7-二十五), best first."""

    VERY_SATISFIED = 4, _("很满意")
    SATISFIED = 3, _("满意")
    FAIR = 2, _("一般")
    DISSATISFIED = 1, _("不满意")


# The answers counted as satisfied: 满意 or better.
SATISFIED_LEVELS: frozenset[int] = frozenset({Level.VERY_SATISFIED, Level.SATISFIED})

# The four questions: field name on `surveys.models.Survey` and its label (§7-二十五).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("attitude", _("服务态度")),
    ("skill", _("技术水平")),
    ("punctuality", _("到达时间")),
    ("promises", _("答应事情的办理")),
)
QUESTION_FIELDS: tuple[str, ...] = tuple(name for name, _label in QUESTIONS)


@dataclass(frozen=True)
class Tally:
    """Satisfied answers out of all answers; add tallies to aggregate."""

    satisfied: int = 0
    answers: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.satisfied + other.satisfied, self.answers + other.answers)

    @property
    def rate(self) -> Decimal | None:
        """Satisfaction as a fraction rounded to 4 places (0.8750), or None when nothing was answered."""
        if not self.answers:
            return None
        return (Decimal(self.satisfied) / Decimal(self.answers)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def percent(self) -> Decimal | None:
        """The rate as a percentage with one decimal (87.5)."""
        rate = self.rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def tally_levels(levels: Iterable[int]) -> Tally:
    """Tally any answers (levels 1–4); refuses anything else so a bad value cannot skew a report."""
    satisfied = answers = 0
    for level in levels:
        if level not in Level.values:
            raise ValueError(f"not a survey level: {level!r}")
        answers += 1
        satisfied += level in SATISFIED_LEVELS
    return Tally(satisfied, answers)


def survey_tally(answers: Mapping[str, int]) -> Tally:
    """The tally of one survey's four answers, given as {question field: level}."""
    return tally_levels(answers[name] for name in QUESTION_FIELDS)


def aggregate(surveys: Iterable[Mapping[str, int]]) -> Tally:
    """The tally over many surveys (each a {question field: level} mapping)."""
    total = Tally()
    for answers in surveys:
        total += survey_tally(answers)
    return total
