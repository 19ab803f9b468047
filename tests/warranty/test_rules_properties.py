"""Invariants of the warranty rules over random dates, faults, conditions and presets (hypothesis)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from warranty.rules import (
    PRESETS,
    REMEDY_ORDER,
    Fault,
    Payer,
    PolicyTerms,
    Remedy,
    WarrantyRequest,
    add_months,
    evaluate,
    validate,
)

EXAMPLES = settings(max_examples=300, deadline=None)
COMPANY_REMEDIES = {Remedy.REFUND, Remedy.REPLACE, Remedy.FREE_REPAIR}


def rank(remedy: Remedy) -> int:
    """0 is the best remedy (refund), 4 the worst (none)."""
    return REMEDY_ORDER.index(remedy)


def expected_warranty_end(terms: PolicyTerms, purchase: date, prior: int) -> date:
    # The presets count the warranty and its extension in months: purchase + (12 + 2k) calendar months.
    extension = 0 if terms.repeat_extension is None else prior * terms.repeat_extension.amount
    return add_months(purchase, terms.free_repair.amount + extension)


def band_edges(terms: PolicyTerms, purchase: date, prior: int) -> list[date]:
    """The last day of every band and the day after it: where an off-by-one would show."""
    periods = [terms.no_reason_return, terms.refund, terms.replace]
    last_days = [period.last_day(purchase) for period in periods if period is not None]
    last_days.append(expected_warranty_end(terms, purchase, prior))
    return [day + timedelta(days=delta) for day in last_days for delta in (0, 1)]


@st.composite
def cases(
    draw, *, fault=None, purchase_known=None, under_contract=None
) -> tuple[PolicyTerms, WarrantyRequest]:
    terms = draw(st.sampled_from(list(PRESETS.values())))
    purchase = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
    prior = draw(st.integers(min_value=0, max_value=6))
    report = draw(
        st.one_of(
            st.integers(min_value=0, max_value=1200).map(lambda offset: purchase + timedelta(days=offset)),
            st.sampled_from(band_edges(terms, purchase, prior)),
        )
    )
    # Mostly known: that is where the bands are.
    known = draw(st.integers(min_value=0, max_value=9)) > 0 if purchase_known is None else purchase_known
    request = WarrantyRequest(
        purchase_date=purchase if known else None,
        report_date=report,
        fault=draw(st.sampled_from(list(Fault))) if fault is None else fault,
        conditions=draw(st.frozensets(st.sampled_from(sorted(terms.exclusions)))),
        prior_repairs_same_fault=prior,
        purchase_proof=draw(st.booleans()),
        under_contract=draw(st.booleans()) if under_contract is None else under_contract,
    )
    return terms, request


@EXAMPLES
@given(cases())
def test_valid_input_never_raises_and_the_decision_is_consistent(case):
    terms, request = case
    assert validate(terms, request) == {}
    decision = evaluate(terms, request)

    assert len(set(decision.eligible)) == len(decision.eligible)
    assert list(decision.eligible) == sorted(decision.eligible, key=rank), "eligible is best first"
    assert Remedy.NONE not in decision.eligible
    assert (decision.remedy == Remedy.NONE) == (decision.eligible == ())
    if decision.eligible:
        assert decision.remedy == decision.eligible[0]
    assert (decision.payer is None) == (decision.remedy == Remedy.NONE)
    if decision.remedy in COMPANY_REMEDIES:
        assert decision.payer == Payer.COMPANY
    if decision.remedy == Remedy.PAID_REPAIR:
        assert decision.payer == Payer.CUSTOMER
    assert (decision.warranty_end is None) == (request.purchase_date is None)
    assert decision.reasons, "every verdict says why"
    assert all(reason.code.isascii() and reason.text for reason in decision.reasons)
    assert decision.policy_slug == terms.slug
    data = decision.as_dict()
    assert json.loads(json.dumps(data)) == data


@EXAMPLES
@given(cases(fault=Fault.QUALITY))
def test_bands_are_contiguous(case):
    """A quality fault inside the warranty is never paid and never refused."""
    terms, request = case
    request = replace(request, purchase_proof=True)
    decision = evaluate(terms, request)
    if request.purchase_date is None:
        return
    assert decision.warranty_end == expected_warranty_end(
        terms, request.purchase_date, request.prior_repairs_same_fault
    )
    if request.report_date <= decision.warranty_end:
        assert Remedy.FREE_REPAIR in decision.eligible
        assert decision.remedy in COMPANY_REMEDIES
        assert decision.payer == Payer.COMPANY
    elif not request.under_contract:
        assert decision.eligible == (Remedy.PAID_REPAIR,)


@EXAMPLES
@given(cases(fault=Fault.QUALITY))
def test_quality_fault_always_gets_a_repair(case):
    terms, request = case
    decision = evaluate(terms, request)
    assert decision.eligible, "a quality fault is always at least repaired"
    assert {Remedy.FREE_REPAIR, Remedy.PAID_REPAIR} & set(decision.eligible)


@EXAMPLES
@given(cases(), st.data())
def test_adding_an_exclusion_never_adds_a_remedy(case, data):
    terms, request = case
    extra = data.draw(st.frozensets(st.sampled_from(sorted(terms.exclusions)), min_size=1))
    fewer = evaluate(terms, request)
    more = evaluate(terms, replace(request, conditions=request.conditions | extra))
    assert set(more.eligible) <= set(fewer.eligible)
    assert rank(more.remedy) >= rank(fewer.remedy)


@EXAMPLES
@given(cases(under_contract=False), st.integers(min_value=1, max_value=800))
def test_a_later_report_never_gives_a_better_remedy(case, days_later):
    terms, request = case
    earlier = evaluate(terms, request)
    later = evaluate(terms, replace(request, report_date=request.report_date + timedelta(days=days_later)))
    assert rank(later.remedy) >= rank(earlier.remedy)
    assert later.warranty_end == earlier.warranty_end


@EXAMPLES
@given(cases(purchase_known=True), st.integers(min_value=1, max_value=5))
def test_more_prior_repairs_never_shorten_the_warranty(case, more):
    terms, request = case
    fewer = evaluate(terms, request)
    many = evaluate(terms, replace(request, prior_repairs_same_fault=request.prior_repairs_same_fault + more))
    assert many.warranty_end >= fewer.warranty_end
    if terms.repeat_extension is not None and request.purchase_date is not None:
        assert many.warranty_end > fewer.warranty_end


@EXAMPLES
@given(cases(fault=Fault.CUSTOMER))
def test_customer_damage_is_always_paid_by_the_customer(case):
    terms, request = case
    decision = evaluate(terms, request)
    assert decision.eligible == (Remedy.PAID_REPAIR,)
    assert decision.payer == Payer.CUSTOMER


@EXAMPLES
@given(cases(), st.integers(min_value=1, max_value=400))
def test_report_before_purchase_is_rejected(case, days_before):
    terms, request = case
    if request.purchase_date is None:
        return
    early = replace(request, report_date=request.purchase_date - timedelta(days=days_before))
    assert set(validate(terms, early)) == {"report_date"}
