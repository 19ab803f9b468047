"""tickets.fee_rules: is a reason needed for the fee, is the fee step complete for the verdict?"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@given(
    company_pays=st.booleans(),
    paid_service=st.booleans(),
    fee=st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2),
    method=st.sampled_from(["", "cash", "wechat"]),
    reason=st.sampled_from(["", "parts", "extra_work", "damage", "other"]),
    note=st.sampled_from(["", " ", "代为清洗室外机"]),
)
def test_a_complete_fee_step_is_never_an_unexplained_fee_nor_an_empty_paid_one(
    company_pays, paid_service, fee, method, reason, note
):
    given = FeeStep(company_pays, paid_service, fee, method, reason, note)
    if fee_step_problems(given):
        return
    if paid_service:
        assert fee > 0 and method
    if company_pays and fee > 0:
        assert reason and (reason != "other" or note.strip())
