"""KPI arithmetic and targets (pure, no ORM): shares as percentages and whether a value meets its target.

The targets are the seed's service goals (§1-3.2.1, R1.goals): timeliness ≥ 90 %, satisfaction ≥ 85 %,
service-caused complaint rate < 3 %: the defaults of the setting `KPI_TARGETS`, read at call time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

TENTH = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, one decimal, half up; None when there is nothing to measure."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    threshold: Decimal
    # Timeliness and satisfaction must reach the threshold; the complaint rate must stay below it.
    higher_is_better: bool

    def meets(self, value: Decimal | None) -> bool | None:
        """None when there is no value (no data is not a failure)."""
        if value is None:
            return None
        return value >= self.threshold if self.higher_is_better else value < self.threshold

    @property
    def text(self) -> str:
        sign = "≥" if self.higher_is_better else "<"
        return f"{sign} {self.threshold.normalize():f} %"


def kpi_targets() -> dict[str, Target]:
    configured = settings.KPI_TARGETS
    return {
        "timeliness": Target("timeliness", _("及时率"), Decimal(configured["timeliness"]), True),
        "satisfaction": Target("satisfaction", _("满意率"), Decimal(configured["satisfaction"]), True),
        "complaint_rate": Target(
            "complaint_rate", _("服务责任投诉率"), Decimal(configured["complaint_rate"]), False
        ),
    }


@dataclass(frozen=True)
class Change:
    """A figure against last month's: the difference (percentage points for a rate) and whether it is an
    improvement (None: nothing to compare, or no direction is better, as for the number of calls)."""

    delta: Decimal | int | None
    improved: bool | None

    @property
    def sign(self) -> str:
        if self.delta is None:
            return ""
        return "+" if self.delta > 0 else ("±" if self.delta == 0 else "−")

    @property
    def magnitude(self) -> Decimal | int | None:
        return None if self.delta is None else abs(self.delta)


def change(
    value: Decimal | int | None, previous: Decimal | int | None, *, higher_is_better: bool | None
) -> Change:
    if value is None or previous is None:
        return Change(None, None)
    delta = value - previous
    if higher_is_better is None or delta == 0:
        return Change(delta, None)
    return Change(delta, (delta > 0) == higher_is_better)
