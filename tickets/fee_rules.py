"""Whether the fee step of a service report is complete for the ticket's verdict (issue #14 item 3).

Pure: a frozen `FeeStep` in, a tuple of `FeeProblem`s out (empty: complete); no ORM, no settings.
`tickets.report_services` loads the inputs from the ticket and the report and uses the answer both when
a fee step is saved (form and API alike) and before the customer signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The one reason that needs its own words (tickets.reports.FeeReason.OTHER).
OTHER_REASON = "other"


@dataclass(frozen=True)
class FeeStep:
    company_pays: bool  # the warranty verdict's payer is the company (免费维修、合同服务 …)
    paid_service: bool  # service category A: the customer pays (§5 第三十条)
    fee: Decimal
    payment_method: str
    reason: str
    reason_note: str


@dataclass(frozen=True)
class FeeProblem:
    field: str
    message: Promise


def reason_needed(step: FeeStep) -> bool:
    """A fee on a repair the company pays for is an exception the customer and finance must see
    explained: parts outside the warranty, extra work the customer asked for, damage found on site."""
    return step.company_pays and step.fee > 0


def fee_step_problems(step: FeeStep) -> tuple[FeeProblem, ...]:
    problems = []
    if step.paid_service:
        if step.fee <= 0:
            problems.append(FeeProblem("fee", _("服务费:有偿服务须填写与客户约定的服务费,且大于 0 元。")))
        if not step.payment_method:
            problems.append(FeeProblem("payment_method", _("付款方式:有偿服务须选择付款方式。")))
    if reason_needed(step):
        if not step.reason:
            problems.append(
                FeeProblem(
                    "fee_reason",
                    _("收费原因:本单保修判定由公司承担费用,收取服务费须选择收费原因。"),
                )
            )
        elif step.reason == OTHER_REASON and not step.reason_note.strip():
            problems.append(FeeProblem("fee_reason_note", _("收费原因说明:收费原因为“其他”时须填写说明。")))
    return tuple(problems)
