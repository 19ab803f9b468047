"""Pure rules of the parts workflows, over plain values."""

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from parts.rules import (
    Actor,
    approval_refusal,
    backorder_contact_due_since,
    count_adjustment,
    recovery_rate,
    write_off_blockers,
)

SUPERVISOR = Actor(user_id=1, roles=frozenset({Role.SUPERVISOR}), branch_id=10)


def test_a_supervisor_of_the_branch_may_approve_others_requests():
    assert approval_refusal(SUPERVISOR, requester_id=2, branch_id=10) is None


@given(roles=st.frozensets(st.sampled_from(list(Role.values))), branch=st.integers(1, 20), hq=st.booleans())
def test_no_one_ever_approves_their_own_request(roles, branch, hq):
    actor = Actor(user_id=7, roles=roles, branch_id=branch, sees_all_branches=hq)
    assert approval_refusal(actor, requester_id=7, branch_id=branch) == "不能审批自己提交的领料单。"


@given(roles=st.frozensets(st.sampled_from([r for r in Role.values if r != Role.SUPERVISOR])))
def test_without_the_supervisor_role_no_approval(roles):
    actor = Actor(user_id=1, roles=roles, branch_id=10, sees_all_branches=True)
    assert approval_refusal(actor, requester_id=2, branch_id=10) == "只有服务主任可以审批领料单。"


def test_another_branch_needs_headquarters():
    assert approval_refusal(SUPERVISOR, requester_id=2, branch_id=11) == "该领料单不属于您的网点。"
    hq = Actor(user_id=1, roles=frozenset({Role.SUPERVISOR}), branch_id=1, sees_all_branches=True)
    assert approval_refusal(hq, requester_id=2, branch_id=11) is None


@given(signed=st.booleans(), accepted=st.booleans(), expected=st.booleans(), received=st.booleans())
def test_write_off_needs_the_signed_report_the_acceptance_and_any_expected_old_part(
    signed, accepted, expected, received
):
    blockers = write_off_blockers(
        report_signed=signed, leader_approved=accepted, old_part_expected=expected, old_part_received=received
    )
    assert (not blockers) == (signed and accepted and (not expected or received))


@given(on_hand=st.integers(0, 10_000), counted=st.integers(0, 10_000))
def test_a_count_adjustment_brings_the_book_to_the_count(on_hand, counted):
    assert on_hand + count_adjustment(on_hand=on_hand, counted=counted) == counted


@given(
    claimed=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e7"), places=2),
    share=st.decimals(min_value=0, max_value=1, places=4),
)
def test_the_recovery_rate_is_a_percentage_between_0_and_100(claimed, share):
    rate = recovery_rate(claimed, (claimed * share).quantize(Decimal("0.01")))
    assert Decimal(0) <= rate <= Decimal(100)


def test_recovery_rate_of_nothing_claimed_is_unknown():
    assert recovery_rate(Decimal(0), Decimal(0)) is None
    assert recovery_rate(Decimal("1000"), Decimal("800")) == Decimal("80.0")


def test_a_backorder_customer_is_due_a_call_after_exactly_a_week():
    start = datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)
    assert not start <= backorder_contact_due_since(start + datetime.timedelta(days=6, hours=23))
    assert start <= backorder_contact_due_since(start + datetime.timedelta(days=7))
