"""The ticket's progress in the customer's words (a pure rule: the ticket's facts in, steps out).

受理 → 已派工 (technician) → 在途 (ETA) → 上门 → 完成 (voucher) → 回访; a factory repair shows 返厂维修 and
待取件 (receipt number) in place of the visit; a cancelled ticket says so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TicketFacts:
    state: str
    reported_at: datetime.datetime
    dispatched_at: datetime.datetime | None = None
    technician_name: str = ""
    departed_at: datetime.datetime | None = None
    eta: datetime.datetime | None = None
    arrived_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None
    in_factory: bool = False
    pickup_receipt: str = ""
    survey_answered_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    at: datetime.datetime | None = None
    detail: str = ""


def customer_steps(facts: TicketFacts) -> tuple[Step, ...]:
    steps = [Step("accepted", _("受理"), True, facts.reported_at)]
    if facts.state == "cancelled":
        return (*steps, Step("cancelled", _("已取消"), True, facts.closed_at))
    steps.append(
        Step(
            "dispatched",
            _("已派工"),
            facts.dispatched_at is not None,
            facts.dispatched_at,
            (_("技术员:%(name)s") % {"name": facts.technician_name}) if facts.technician_name else "",
        )
    )
    on_the_way = facts.departed_at is not None
    steps.append(
        Step(
            "on_the_way",
            _("在途"),
            on_the_way,
            facts.departed_at,
            (_("预计 %(time)s 到达") % {"time": f"{facts.eta:%H:%M}"}) if on_the_way and facts.eta else "",
        )
    )
    steps.append(Step("on_site", _("上门"), facts.arrived_at is not None, facts.arrived_at))
    if facts.in_factory or facts.pickup_receipt:
        steps.append(Step("factory", _("返厂维修"), facts.in_factory or bool(facts.pickup_receipt)))
        steps.append(
            Step(
                "pickup",
                _("待取件"),
                bool(facts.pickup_receipt),
                detail=(_("取件单号:%(number)s") % {"number": facts.pickup_receipt})
                if facts.pickup_receipt
                else "",
            )
        )
    steps.append(Step("done", _("完成"), facts.completed_at is not None, facts.completed_at))
    steps.append(Step("survey", _("回访"), facts.survey_answered_at is not None, facts.survey_answered_at))
    return tuple(steps)
