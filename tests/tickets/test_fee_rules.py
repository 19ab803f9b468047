"""tickets.fee_rules: is a reason needed for the fee, is the fee step complete for the verdict?"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tickets.fee_rules import FeeStep, fee_step_problems, reason_needed


def step(*, company_pays=False, paid_service=False, fee="0", method="", reason="", note="") -> FeeStep:
    return FeeStep(
        company_pays=company_pays,
        paid_service=paid_service,
        fee=Decimal(fee),
        payment_method=method,
        reason=reason,
        reason_note=note,
    )


@pytest.mark.parametrize(
    ("company_pays", "fee", "needed"),
    [
        (True, "80", True),
        (True, "0.01", True),
        (True, "0", False),
        (False, "80", False),
        (False, "0", False),
    ],
)
def test_a_reason_is_needed_for_a_fee_the_company_would_otherwise_carry(company_pays, fee, needed):
    assert reason_needed(step(company_pays=company_pays, fee=fee)) is needed


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        # A free warranty repair: no fee is complete; a fee needs a reason, "other" needs words.
        ({"company_pays": True}, []),
        ({"company_pays": True, "fee": "80"}, ["fee_reason"]),
        ({"company_pays": True, "fee": "80", "reason": "parts"}, []),
        ({"company_pays": True, "fee": "80", "reason": "other"}, ["fee_reason_note"]),
        ({"company_pays": True, "fee": "80", "reason": "other", "note": "  "}, ["fee_reason_note"]),
        ({"company_pays": True, "fee": "80", "reason": "other", "note": "代为清洗室外机"}, []),
        ({"company_pays": True, "reason": "parts"}, []),
        # A paid job (category A, the customer pays): a fee above 0 and how it is paid.
        ({"paid_service": True}, ["fee", "payment_method"]),
        ({"paid_service": True, "fee": "0", "method": "cash"}, ["fee"]),
        ({"paid_service": True, "fee": "180"}, ["payment_method"]),
        ({"paid_service": True, "fee": "180", "method": "wechat"}, []),
        # Neither (no verdict, an internal job): anything goes.
        ({}, []),
        ({"fee": "50"}, []),
    ],
)
def test_the_fee_step_is_complete_for_the_verdict(given, fields):
    problems = fee_step_problems(step(**given))
    assert [problem.field for problem in problems] == fields
    for problem in problems:
        assert str(problem.message)  # a sentence for the user, naming the field first
