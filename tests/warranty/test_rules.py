"""The warranty rules engine: the acceptance sample, every band edge of the presets, and the special cases."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.utils import translation

from warranty.rules import (
    ALL_CONDITIONS,
    CN_NATIONAL,
    MANUFACTURER,
    PRESETS,
    RETAIL,
    Fault,
    InvalidWarrantyRequest,
    Payer,
    Period,
    PeriodUnit,
    PolicyTerms,
    Remedy,
    WarrantyDecision,
    WarrantyRequest,
    add_months,
    condition_label,
    evaluate,
    reason_text,
    validate,
)

SAMPLE_CASES = Path(__file__).resolve().parents[3] / "shared" / "acceptance" / "warranty_cases_sample.json"
PO_FILE = (
    Path(__file__).resolve().parents[2] / "warranty" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
)

R = Remedy.REFUND
X = Remedy.REPLACE
F = Remedy.FREE_REPAIR
P = Remedy.PAID_REPAIR


def d(text: str) -> date:
    return date.fromisoformat(text)


def decide(
    terms: PolicyTerms,
    purchase: str | None,
    report: str,
    fault: Fault = Fault.QUALITY,
    **kwargs,
) -> WarrantyDecision:
    request = WarrantyRequest(
        purchase_date=None if purchase is None else d(purchase),
        report_date=d(report),
        fault=fault,
        **kwargs,
    )
    return evaluate(terms, request)


def codes(decision: WarrantyDecision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def text_of(decision: WarrantyDecision, code: str) -> str:
    (text,) = [reason.text for reason in decision.reasons if reason.code == code]
    return text


@pytest.fixture
def zh():
    """Chinese texts come from the compiled catalogue, which `make` (compilemessages) builds."""
    mo_file = PO_FILE.with_suffix(".mo")
    if not mo_file.exists() or mo_file.stat().st_mtime < PO_FILE.stat().st_mtime:
        pytest.fail(
            f"{mo_file} is missing or older than the .po: run `make` or `django-admin compilemessages`"
        )
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def en():
    with translation.override("en"):
        yield


# --- the acceptance sample -------------------------------------------------------------------------


def load_sample_cases() -> list:
    assert SAMPLE_CASES.is_file(), f"acceptance sample not found at {SAMPLE_CASES}"
    return json.loads(SAMPLE_CASES.read_text(encoding="utf-8"))


def test_sample_path_resolves_to_shared_folder():
    assert SAMPLE_CASES.parent.parent.name == "shared"
    assert len(load_sample_cases()) == 14


@pytest.mark.parametrize("case", load_sample_cases(), ids=lambda case: case["note"])
def test_acceptance_sample(case):
    request = case["request"]
    decision = evaluate(
        PRESETS[request["policy"]],
        WarrantyRequest(
            purchase_date=d(request["purchase_date"]),
            report_date=d(request["report_date"]),
            fault=Fault(request["fault"]),
            conditions=frozenset(request["conditions"]),
            prior_repairs_same_fault=request["prior_repairs_same_fault"],
        ),
    )
    result = decision.as_dict()
    got = {key: result[key] for key in ("remedy", "eligible", "payer", "warranty_end")}
    assert got == case["expect"]
    assert result["policy"] == request["policy"]


# --- calendar ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-07-10", 0, "2026-07-10"),
        ("2026-07-10", 12, "2027-07-10"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-08-31", 1, "2026-09-30"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2027-11-30", 3, "2028-02-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 14, "2025-04-29"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-12-31", 2, "2027-02-28"),
        ("2026-11-15", 14, "2028-01-15"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-01-15", -1, "2025-12-15"),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(d(start), months) == d(expected)


@pytest.mark.parametrize(
    ("period", "start", "last_day"),
    [
        (Period(7, PeriodUnit.DAYS), "2026-07-10", "2026-07-17"),
        (Period(7, PeriodUnit.DAYS), "2026-12-28", "2027-01-04"),
        (Period(15, PeriodUnit.DAYS), "2028-02-20", "2028-03-06"),
        (Period(0, PeriodUnit.DAYS), "2026-07-10", "2026-07-10"),
        (Period(1, PeriodUnit.MONTHS), "2026-01-31", "2026-02-28"),
        (Period(12, PeriodUnit.MONTHS), "2024-02-29", "2025-02-28"),
    ],
)
def test_period_last_day_and_covers(period, start, last_day):
    assert period.last_day(d(start)) == d(last_day)
    assert period.covers(d(start), d(last_day))
    assert not period.covers(d(start), date.fromordinal(d(last_day).toordinal() + 1))


def test_period_rejects_negative_amount():
    with pytest.raises(ValueError):
        Period(-1, PeriodUnit.DAYS)


@pytest.mark.parametrize(
    ("period", "english", "chinese"),
    [
        (Period(1, PeriodUnit.DAYS), "1 day", "1 天"),
        (Period(15, PeriodUnit.DAYS), "15 days", "15 天"),
        (Period(1, PeriodUnit.MONTHS), "1 month", "1 个月"),
        (Period(12, PeriodUnit.MONTHS), "12 months", "12 个月"),
    ],
)
def test_period_describe(period, english, chinese, zh):
    assert period.describe() == chinese
    with translation.override("en"):
        assert period.describe() == english


# --- band edges of every preset ------------------------------------------------------------------------

BAND_EDGES = [
    # manufacturer: refund ≤ 7 days, replace ≤ 1 month, free repair ≤ 12 months (§3 第四、五、六条)
    (MANUFACTURER, "2026-07-10", "2026-07-10", (R, X, F)),
    (MANUFACTURER, "2026-07-10", "2026-07-17", (R, X, F)),
    (MANUFACTURER, "2026-07-10", "2026-07-18", (X, F)),
    (MANUFACTURER, "2026-07-10", "2026-08-10", (X, F)),
    (MANUFACTURER, "2026-07-10", "2026-08-11", (F,)),
    (MANUFACTURER, "2026-07-10", "2027-07-10", (F,)),
    (MANUFACTURER, "2026-07-10", "2027-07-11", (P,)),
    (MANUFACTURER, "2026-01-31", "2026-02-28", (X, F)),
    (MANUFACTURER, "2026-01-31", "2026-03-01", (F,)),
    (MANUFACTURER, "2028-01-31", "2028-02-29", (X, F)),
    (MANUFACTURER, "2028-01-31", "2028-03-01", (F,)),
    (MANUFACTURER, "2024-02-29", "2024-03-29", (X, F)),
    (MANUFACTURER, "2024-02-29", "2024-03-30", (F,)),
    (MANUFACTURER, "2024-02-29", "2025-02-28", (F,)),
    (MANUFACTURER, "2024-02-29", "2025-03-01", (P,)),
    (MANUFACTURER, "2026-12-28", "2027-01-04", (R, X, F)),
    (MANUFACTURER, "2026-12-28", "2027-01-05", (X, F)),
    (MANUFACTURER, "2026-12-20", "2027-01-20", (X, F)),
    (MANUFACTURER, "2026-12-20", "2027-01-21", (F,)),
    (MANUFACTURER, "2026-12-31", "2027-12-31", (F,)),
    (MANUFACTURER, "2026-12-31", "2028-01-01", (P,)),
    # retail: refund ≤ 15 days, exchange ≤ 30 days, free repair ≤ 3 months, paid after (§5 第七至十条)
    (RETAIL, "2026-09-03", "2026-09-03", (R, X, F)),
    (RETAIL, "2026-09-03", "2026-09-18", (R, X, F)),
    (RETAIL, "2026-09-03", "2026-09-19", (X, F)),
    (RETAIL, "2026-09-03", "2026-10-03", (X, F)),
    (RETAIL, "2026-09-03", "2026-10-04", (F,)),
    (RETAIL, "2026-09-03", "2026-12-03", (F,)),
    (RETAIL, "2026-09-03", "2026-12-04", (P,)),
    (RETAIL, "2026-11-30", "2027-02-28", (F,)),
    (RETAIL, "2026-11-30", "2027-03-01", (P,)),
    (RETAIL, "2027-11-30", "2028-02-29", (F,)),
    (RETAIL, "2027-11-30", "2028-03-01", (P,)),
    (RETAIL, "2026-12-25", "2027-01-09", (R, X, F)),
    (RETAIL, "2026-12-25", "2027-01-10", (X, F)),
    (RETAIL, "2026-12-25", "2027-01-24", (X, F)),
    (RETAIL, "2026-12-25", "2027-01-25", (F,)),
    (RETAIL, "2026-10-31", "2027-01-31", (F,)),
    (RETAIL, "2026-10-31", "2027-02-01", (P,)),
    (RETAIL, "2028-02-14", "2028-02-29", (R, X, F)),
    (RETAIL, "2028-02-14", "2028-03-01", (X, F)),
    # cn-national (三包): refund ≤ 7 days, exchange ≤ 15 days, free repair ≤ 12 months
    (CN_NATIONAL, "2026-07-10", "2026-07-10", (R, X, F)),
    (CN_NATIONAL, "2026-07-10", "2026-07-17", (R, X, F)),
    (CN_NATIONAL, "2026-07-10", "2026-07-18", (X, F)),
    (CN_NATIONAL, "2026-07-10", "2026-07-25", (X, F)),
    (CN_NATIONAL, "2026-07-10", "2026-07-26", (F,)),
    (CN_NATIONAL, "2026-07-10", "2027-07-10", (F,)),
    (CN_NATIONAL, "2026-07-10", "2027-07-11", (P,)),
    (CN_NATIONAL, "2024-02-29", "2025-02-28", (F,)),
    (CN_NATIONAL, "2024-02-29", "2025-03-01", (P,)),
    (CN_NATIONAL, "2026-12-25", "2027-01-01", (R, X, F)),
    (CN_NATIONAL, "2026-12-25", "2027-01-02", (X, F)),
    (CN_NATIONAL, "2026-12-25", "2027-01-09", (X, F)),
    (CN_NATIONAL, "2026-12-25", "2027-01-10", (F,)),
]


@pytest.mark.parametrize(
    ("terms", "purchase", "report", "eligible"),
    BAND_EDGES,
    ids=[f"{terms.slug}-{purchase}-{report}" for terms, purchase, report, _ in BAND_EDGES],
)
def test_quality_fault_band_edges(terms, purchase, report, eligible):
    decision = decide(terms, purchase, report)
    assert decision.eligible == eligible
    assert decision.remedy == eligible[0]
    assert decision.payer == (Payer.CUSTOMER if eligible == (P,) else Payer.COMPANY)


@pytest.mark.parametrize(
    ("terms", "purchase", "warranty_end"),
    [
        (MANUFACTURER, "2026-07-10", "2027-07-10"),
        (MANUFACTURER, "2024-02-29", "2025-02-28"),
        (MANUFACTURER, "2026-12-31", "2027-12-31"),
        (RETAIL, "2026-09-03", "2026-12-03"),
        (RETAIL, "2026-11-30", "2027-02-28"),
        (RETAIL, "2027-11-30", "2028-02-29"),
        (RETAIL, "2026-10-31", "2027-01-31"),
        (CN_NATIONAL, "2026-07-10", "2027-07-10"),
        (CN_NATIONAL, "2024-02-29", "2025-02-28"),
    ],
)
@pytest.mark.parametrize("fault", list(Fault))
def test_warranty_end_is_reported_for_every_fault(terms, purchase, warranty_end, fault):
    assert decide(terms, purchase, purchase, fault).warranty_end == d(warranty_end)


@pytest.mark.parametrize(
    ("purchase", "report", "remedy"),
    [
        ("2026-09-03", "2026-09-03", R),
        ("2026-09-03", "2026-09-10", R),
        ("2026-09-03", "2026-09-11", Remedy.NONE),
        ("2026-12-28", "2027-01-04", R),
        ("2026-12-28", "2027-01-05", Remedy.NONE),
        ("2028-02-25", "2028-03-03", R),
        ("2028-02-25", "2028-03-04", Remedy.NONE),
    ],
)
def test_retail_no_reason_return_edges(purchase, report, remedy):
    decision = decide(RETAIL, purchase, report, Fault.NONE)
    assert decision.remedy == remedy
    if remedy == R:
        assert decision.eligible == (R,)
        assert decision.payer == Payer.COMPANY
        assert codes(decision) == ["no_reason_return"]
    else:
        assert decision.eligible == ()
        assert decision.payer is None
        assert codes(decision) == ["no_reason_return_expired"]


@pytest.mark.parametrize("terms", [MANUFACTURER, CN_NATIONAL])
@pytest.mark.parametrize("report", ["2026-07-10", "2026-07-12", "2026-08-01", "2027-09-01"])
def test_no_fault_gets_nothing_outside_retail(terms, report):
    decision = decide(terms, "2026-07-10", report, Fault.NONE)
    assert decision.remedy == Remedy.NONE
    assert decision.eligible == ()
    assert decision.payer is None
    assert codes(decision) == ["no_fault"]
    assert decision.warranty_end == d("2027-07-10")


# --- exclusions ------------------------------------------------------------------------------------------

BLOCKING_WITH_QUALITY_FAULT = [
    (terms, condition)
    for terms in PRESETS.values()
    for condition in sorted(terms.exclusions - terms.exclusions_without_fault_only)
]


@pytest.mark.parametrize(
    ("terms", "condition"),
    BLOCKING_WITH_QUALITY_FAULT,
    ids=[f"{terms.slug}-{condition}" for terms, condition in BLOCKING_WITH_QUALITY_FAULT],
)
@pytest.mark.parametrize(
    ("report", "eligible"),
    [("2026-07-10", (F,)), ("2026-07-20", (F,)), ("2026-08-20", (F,)), ("2028-01-01", (P,))],
)
def test_exclusion_blocks_refund_and_exchange_never_repair(terms, condition, report, eligible):
    decision = decide(terms, "2026-07-10", report, conditions=frozenset({condition}))
    assert decision.eligible == eligible
    assert f"excluded:{condition}" in codes(decision)
    assert "refund_window" not in codes(decision)
    assert "replace_window" not in codes(decision)


@pytest.mark.parametrize("condition", sorted(RETAIL.exclusions_without_fault_only))
def test_retail_use_marks_and_custom_made_only_block_without_quality_fault(condition):
    # §5 第十一、十二条: "无质量问题的,恕不退换"; a quality fault is refunded as usual.
    with_fault = decide(RETAIL, "2026-09-03", "2026-09-05", conditions=frozenset({condition}))
    assert with_fault.eligible == (R, X, F)
    assert f"excluded:{condition}" not in codes(with_fault)
    no_fault = decide(RETAIL, "2026-09-03", "2026-09-05", Fault.NONE, conditions=frozenset({condition}))
    assert no_fault.remedy == Remedy.NONE
    assert codes(no_fault) == [f"excluded:{condition}"]


@pytest.mark.parametrize("condition", sorted(RETAIL.exclusions))
def test_every_retail_exclusion_blocks_return_without_reason(condition):
    decision = decide(RETAIL, "2026-09-03", "2026-09-04", Fault.NONE, conditions=frozenset({condition}))
    assert decision.remedy == Remedy.NONE
    assert decision.eligible == ()
    assert decision.payer is None
    assert codes(decision) == [f"excluded:{condition}"]


def test_every_present_exclusion_gives_its_own_reason():
    conditions = frozenset({"gift", "special_price", "no_warranty_card"})
    decision = decide(RETAIL, "2026-09-03", "2026-09-04", conditions=conditions)
    assert decision.eligible == (F,)
    assert codes(decision) == [
        "excluded:gift",
        "excluded:no_warranty_card",
        "excluded:special_price",
        "free_repair_window",
    ]


# --- repeated repairs of the same fault (manufacturer §3 第八条) --------------------------------------------


@pytest.mark.parametrize(
    ("prior", "warranty_end", "eligible_on_2027_12_01"),
    [(0, "2027-07-10", (P,)), (1, "2027-09-10", (P,)), (3, "2028-01-10", (F,))],
)
def test_manufacturer_extension_per_earlier_repair(prior, warranty_end, eligible_on_2027_12_01):
    decision = decide(MANUFACTURER, "2026-07-10", "2027-12-01", prior_repairs_same_fault=prior)
    assert decision.warranty_end == d(warranty_end)
    assert decision.eligible == eligible_on_2027_12_01
    assert ("repeat_extension" in codes(decision)) == (prior > 0)


@pytest.mark.parametrize(
    ("prior", "last_free_day"),
    [(0, "2027-07-10"), (1, "2027-09-10"), (3, "2028-01-10")],
)
def test_manufacturer_extended_warranty_edge(prior, last_free_day):
    on_edge = decide(MANUFACTURER, "2026-07-10", last_free_day, prior_repairs_same_fault=prior)
    assert on_edge.eligible == (F,)
    next_day = date.fromordinal(d(last_free_day).toordinal() + 1).isoformat()
    after = decide(MANUFACTURER, "2026-07-10", next_day, prior_repairs_same_fault=prior)
    assert after.eligible == (P,)
    assert "out_of_warranty" in codes(after)


def test_manufacturer_extension_from_leap_day_counts_months_in_one_sum():
    decision = decide(MANUFACTURER, "2024-02-29", "2025-04-29", prior_repairs_same_fault=1)
    assert decision.warranty_end == d("2025-04-29")
    assert decision.eligible == (F,)


MONTHS_12 = Period(12, PeriodUnit.MONTHS)
DAYS_30 = Period(30, PeriodUnit.DAYS)
DAYS_90 = Period(90, PeriodUnit.DAYS)
DAYS_365 = Period(365, PeriodUnit.DAYS)
MONTH_1 = Period(1, PeriodUnit.MONTHS)


# Free repair and extension in different units: the free period ends first, then the extensions are added
# to that day in their own unit (no common unit to sum in). Ends worked out by hand on a calendar.
@pytest.mark.parametrize(
    ("free_repair", "extension", "purchase", "prior", "warranty_end"),
    [
        (MONTHS_12, DAYS_30, "2026-07-10", 0, "2027-07-10"),  # no earlier repair: the free period only
        (MONTHS_12, DAYS_30, "2026-07-10", 1, "2027-08-09"),  # 10 Jul 2027 + 21 days to 31 Jul + 9
        (MONTHS_12, DAYS_30, "2026-07-10", 2, "2027-09-08"),  # + 60 days: 21 (Jul) + 31 (Aug) + 8
        (DAYS_90, MONTH_1, "2026-10-02", 1, "2027-01-31"),  # 90 days: 29 (Oct) + 30 (Nov) + 31 = 31 Dec
        (DAYS_90, MONTH_1, "2026-10-02", 2, "2027-02-28"),  # 31 Dec + 2 months: no 31 Feb, its last day
        (DAYS_90, MONTH_1, "2026-11-30", 1, "2027-03-28"),  # 90 days to 28 Feb, + 1 month: 28 Mar, not 31
        (DAYS_365, MONTH_1, "2023-03-01", 1, "2024-03-29"),  # 365 days reach 29 Feb 2024 (leap year)
    ],
)
def test_extension_in_another_unit_than_the_free_repair(
    free_repair, extension, purchase, prior, warranty_end
):
    terms = replace(MANUFACTURER, free_repair=free_repair, repeat_extension=extension)
    last_free_day = d(warranty_end)
    on_edge = decide(terms, purchase, warranty_end, prior_repairs_same_fault=prior)
    assert on_edge.warranty_end == last_free_day
    assert on_edge.eligible == (F,)
    assert ("repeat_extension" in codes(on_edge)) == (prior > 0)
    next_day = date.fromordinal(last_free_day.toordinal() + 1).isoformat()
    after = decide(terms, purchase, next_day, prior_repairs_same_fault=prior)
    assert after.eligible == (P,) and "out_of_warranty" in codes(after)


def test_extension_does_not_touch_refund_or_exchange_bands():
    decision = decide(MANUFACTURER, "2026-07-10", "2026-07-20", prior_repairs_same_fault=3)
    assert decision.eligible == (X, F)


@pytest.mark.parametrize("terms", [RETAIL, CN_NATIONAL])
@pytest.mark.parametrize("prior", [0, 1, 3])
def test_no_extension_outside_manufacturer(terms, prior):
    decision = decide(terms, "2026-07-10", "2026-07-11", prior_repairs_same_fault=prior)
    assert decision.warranty_end == terms.free_repair.last_day(d("2026-07-10"))
    assert "repeat_extension" not in codes(decision)


# --- customer damage, purchase proof, contracts --------------------------------------------------------


@pytest.mark.parametrize("terms", list(PRESETS.values()), ids=list(PRESETS))
@pytest.mark.parametrize("report", ["2026-07-10", "2026-07-20", "2027-01-01", "2028-01-01"])
@pytest.mark.parametrize("under_contract", [False, True])
def test_customer_damage_is_paid_by_the_customer(terms, report, under_contract):
    decision = decide(terms, "2026-07-10", report, Fault.CUSTOMER, under_contract=under_contract)
    assert decision.remedy == P
    assert decision.eligible == (P,)
    assert decision.payer == Payer.CUSTOMER
    assert codes(decision) == ["customer_damage"]
    assert decision.warranty_end == terms.free_repair.last_day(d("2026-07-10"))


@pytest.mark.parametrize("terms", list(PRESETS.values()), ids=list(PRESETS))
def test_customer_damage_with_unknown_purchase_date(terms):
    decision = decide(terms, None, "2026-07-10", Fault.CUSTOMER)
    assert decision.eligible == (P,)
    assert decision.warranty_end is None


@pytest.mark.parametrize("report", ["2026-07-10", "2026-07-20", "2027-01-01"])
def test_manufacturer_without_purchase_proof_is_paid(report):
    # §3 第十一条: free warranty service needs the purchase date and place.
    decision = decide(MANUFACTURER, "2026-07-10", report, purchase_proof=False)
    assert decision.eligible == (P,)
    assert decision.payer == Payer.CUSTOMER
    assert codes(decision) == ["no_purchase_proof"]
    assert decision.warranty_end == d("2027-07-10")


def test_manufacturer_past_the_warranty_gives_the_expiry_not_the_missing_place():
    # A unit bought 2023-05-14 without a purchase place (an imported one), called in 2026: the warranty
    # ended long ago, so the missing place is not why the repair is paid.
    decision = decide(MANUFACTURER, "2023-05-14", "2026-12-06", purchase_proof=False)
    assert decision.eligible == (P,)
    assert codes(decision) == ["out_of_warranty"]
    with translation.override("zh-hans"):
        assert "2024-05-14" in decision.reasons[0].text


def test_manufacturer_without_purchase_place_still_explains_the_extension():
    decision = decide(
        MANUFACTURER, "2023-05-14", "2026-12-06", purchase_proof=False, prior_repairs_same_fault=1
    )
    assert codes(decision) == ["out_of_warranty", "repeat_extension"]
    assert decision.warranty_end == d("2024-07-14")
    inside = decide(
        MANUFACTURER, "2023-05-14", "2024-07-01", purchase_proof=False, prior_repairs_same_fault=1
    )
    assert codes(inside) == ["no_purchase_proof", "repeat_extension"]


@pytest.mark.parametrize("terms", list(PRESETS.values()), ids=list(PRESETS))
def test_unknown_purchase_date_is_paid_without_warranty_end(terms):
    decision = decide(terms, None, "2026-07-10")
    assert decision.eligible == (P,)
    assert decision.payer == Payer.CUSTOMER
    assert decision.warranty_end is None
    assert codes(decision) == ["no_purchase_proof"]


@pytest.mark.parametrize("terms", [RETAIL, CN_NATIONAL])
def test_purchase_place_is_only_required_by_the_manufacturer(terms):
    decision = decide(terms, "2026-07-10", "2026-07-11", purchase_proof=False)
    assert decision.eligible == (R, X, F)


def test_retail_return_without_reason_needs_a_purchase_date():
    decision = decide(RETAIL, None, "2026-07-10", Fault.NONE)
    assert decision.remedy == Remedy.NONE
    assert codes(decision) == ["no_purchase_proof"]


@pytest.mark.parametrize(
    ("terms", "report", "eligible"),
    [
        (MANUFACTURER, "2026-07-10", (R, X, F)),
        (MANUFACTURER, "2026-07-20", (X, F)),
        (MANUFACTURER, "2027-01-01", (F,)),
        (MANUFACTURER, "2027-07-11", (F,)),
        (MANUFACTURER, "2030-01-01", (F,)),
        (RETAIL, "2026-07-20", (R, X, F)),
        (RETAIL, "2026-12-01", (F,)),
        (CN_NATIONAL, "2026-07-20", (X, F)),
        (CN_NATIONAL, "2029-07-20", (F,)),
    ],
)
def test_contract_makes_repair_free_and_keeps_bands(terms, report, eligible):
    decision = decide(terms, "2026-07-10", report, under_contract=True)
    assert decision.eligible == eligible
    assert decision.payer == Payer.COMPANY
    assert "contract" in codes(decision)
    assert decision.warranty_end == terms.free_repair.last_day(d("2026-07-10"))


def test_contract_past_warranty_reports_both_the_warranty_end_and_the_contract():
    decision = decide(MANUFACTURER, "2026-07-10", "2028-07-12", under_contract=True)
    assert codes(decision) == ["out_of_warranty", "contract"]


@pytest.mark.parametrize(
    ("purchase", "proof"),
    [("2026-07-10", False), (None, True)],
)
def test_contract_covers_a_unit_without_purchase_proof(purchase, proof):
    decision = decide(MANUFACTURER, purchase, "2026-07-12", purchase_proof=proof, under_contract=True)
    assert decision.eligible == (F,)
    assert decision.payer == Payer.COMPANY
    assert codes(decision) == ["no_purchase_proof", "contract"]


def test_contract_with_exclusion_still_blocks_refund():
    decision = decide(
        MANUFACTURER,
        "2026-07-10",
        "2026-07-11",
        conditions=frozenset({"appearance_damage"}),
        under_contract=True,
    )
    assert decision.eligible == (F,)


@pytest.mark.parametrize("terms", [MANUFACTURER, CN_NATIONAL])
def test_contract_without_fault_gives_nothing(terms):
    decision = decide(terms, "2026-07-10", "2026-07-12", Fault.NONE, under_contract=True)
    assert decision.remedy == Remedy.NONE


# --- cn-national: repaired twice and still faulty -----------------------------------------------------------


@pytest.mark.parametrize(
    ("prior", "report", "conditions", "eligible", "choice"),
    [
        (0, "2027-01-10", frozenset(), (F,), False),
        (1, "2027-01-10", frozenset(), (F,), False),
        (2, "2027-01-10", frozenset(), (R, X, F), True),
        (3, "2027-01-10", frozenset(), (R, X, F), True),
        (2, "2027-07-10", frozenset(), (R, X, F), True),
        (2, "2027-07-11", frozenset(), (P,), False),
        (2, "2026-07-12", frozenset(), (R, X, F), True),
        (2, "2027-01-10", frozenset({"no_warranty_card"}), (F,), False),
        (2, "2027-01-10", frozenset({"appearance_damage"}), (F,), False),
    ],
)
def test_cn_national_failed_repairs_choice(prior, report, conditions, eligible, choice):
    decision = decide(
        CN_NATIONAL, "2026-07-10", report, prior_repairs_same_fault=prior, conditions=conditions
    )
    assert decision.eligible == eligible
    assert ("failed_repairs_choice" in codes(decision)) == choice


@pytest.mark.parametrize("terms", [MANUFACTURER, RETAIL])
def test_failed_repairs_choice_is_cn_national_only(terms):
    decision = decide(terms, "2026-07-10", "2026-09-20", prior_repairs_same_fault=2)
    assert decision.eligible == (F,)
    assert "failed_repairs_choice" not in codes(decision)


# --- validation ----------------------------------------------------------------------------------------------


def test_valid_request_has_no_errors():
    request = WarrantyRequest(d("2026-07-10"), d("2026-07-10"), Fault.QUALITY)
    for terms in PRESETS.values():
        assert validate(terms, request) == {}


@pytest.mark.parametrize(
    ("terms", "request_", "fields"),
    [
        (RETAIL, WarrantyRequest(d("2026-07-10"), d("2026-07-09"), Fault.QUALITY), {"report_date"}),
        (
            RETAIL,
            WarrantyRequest(d("2026-07-10"), d("2026-07-11"), Fault.QUALITY, prior_repairs_same_fault=-1),
            {"prior_repairs_same_fault"},
        ),
        (
            MANUFACTURER,
            WarrantyRequest(d("2026-07-10"), d("2026-07-11"), Fault.QUALITY, frozenset({"gift"})),
            {"conditions"},
        ),
        (
            RETAIL,
            WarrantyRequest(
                d("2026-07-10"), d("2026-07-11"), Fault.QUALITY, frozenset({"appearance_damage"})
            ),
            {"conditions"},
        ),
        (
            CN_NATIONAL,
            WarrantyRequest(d("2026-07-10"), d("2026-07-11"), Fault.QUALITY, frozenset({"unheard_of"})),
            {"conditions"},
        ),
        (RETAIL, WarrantyRequest(d("2026-07-10"), d("2026-07-11"), "broken"), {"fault"}),
        (
            RETAIL,
            WarrantyRequest(d("2026-07-10"), datetime(2026, 7, 11, 9, 30, tzinfo=UTC), Fault.QUALITY),
            {"report_date"},
        ),
        (RETAIL, WarrantyRequest("2026-07-10", d("2026-07-11"), Fault.QUALITY), {"purchase_date"}),
        (
            RETAIL,
            WarrantyRequest(d("2026-07-10"), d("2026-07-11"), Fault.QUALITY, prior_repairs_same_fault="2"),
            {"prior_repairs_same_fault"},
        ),
        (MANUFACTURER, WarrantyRequest(d("9999-03-01"), d("9999-03-02"), Fault.QUALITY), {"purchase_date"}),
        (
            RETAIL,
            WarrantyRequest(d("2026-07-10"), d("2026-07-01"), "broken", frozenset({"x"}), -2),
            {"report_date", "fault", "conditions", "prior_repairs_same_fault"},
        ),
    ],
)
def test_validation_errors_name_the_field(terms, request_, fields):
    errors = validate(terms, request_)
    assert set(errors) == fields
    with pytest.raises(InvalidWarrantyRequest) as caught:
        evaluate(terms, request_)
    assert caught.value.errors == errors
    assert isinstance(caught.value, ValueError)


def test_plain_string_fault_is_accepted():
    decision = evaluate(RETAIL, WarrantyRequest(d("2026-07-10"), d("2026-07-11"), "quality"))
    assert decision.remedy == R


def test_report_before_purchase_message_in_chinese(zh):
    errors = validate(RETAIL, WarrantyRequest(d("2026-07-10"), d("2026-07-09"), Fault.QUALITY))
    assert errors == {"report_date": "报修日期不能早于购买日期"}


def test_negative_prior_and_unknown_condition_messages_in_chinese(zh):
    request = WarrantyRequest(
        d("2026-07-10"), d("2026-07-11"), Fault.QUALITY, frozenset({"gift", "special_price"}), -1
    )
    with pytest.raises(InvalidWarrantyRequest) as caught:
        evaluate(MANUFACTURER, request)
    assert caught.value.errors == {
        "prior_repairs_same_fault": "同一故障的维修次数不能为负数",
        "conditions": "本保修政策不适用以下情况:赠品、特价商品",
    }


def test_validation_messages_in_english(en):
    request = WarrantyRequest(d("2026-07-10"), d("2026-07-09"), Fault.QUALITY, frozenset({"gift"}))
    assert validate(MANUFACTURER, request) == {
        "report_date": "The report date cannot be before the purchase date",
        "conditions": "Unknown condition for this policy: gift",
    }


# --- reason texts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "purchase", "report", "kwargs", "code", "chinese"),
    [
        (RETAIL, "2026-09-03", "2026-09-12", {}, "refund_window", "购买第 9 天,质量问题,15 天内可退货"),
        (RETAIL, "2026-09-03", "2026-09-12", {}, "replace_window", "购买第 9 天,质量问题,30 天内可换货"),
        (
            MANUFACTURER,
            "2026-07-10",
            "2026-07-10",
            {},
            "replace_window",
            "购买当天,质量问题,1 个月内可换货",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2027-08-01",
            {"prior_repairs_same_fault": 1},
            "repeat_extension",
            "同一故障已修理 1 次,保修期延长 2 个月至 2027-09-10",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2027-08-01",
            {"prior_repairs_same_fault": 1},
            "free_repair_window",
            "购买第 387 天,质量问题,12 个月内免费保修,保修期至 2027-09-10",
        ),
        (
            RETAIL,
            "2026-09-03",
            "2027-01-15",
            {},
            "out_of_warranty",
            "购买第 134 天,已过 3 个月保修期(2026-12-03 到期),需收费维修",
        ),
        (
            RETAIL,
            "2026-09-03",
            "2026-09-06",
            {"conditions": frozenset({"special_price"})},
            "excluded:special_price",
            "特价商品,不予退换货,只提供维修",
        ),
        (
            CN_NATIONAL,
            "2026-07-10",
            "2026-10-01",
            {"prior_repairs_same_fault": 2},
            "failed_repairs_choice",
            "同一故障在保修期内已修理 2 次仍未修好,可选择换货或退货",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2026-07-11",
            {"purchase_proof": False},
            "no_purchase_proof",
            "未提供购机地点:保修期内的免费维修需提供购机日期和地点",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2028-01-01",
            {"under_contract": True},
            "contract",
            "本机在保养合同期内,按合同免费维修",
        ),
    ],
)
def test_reason_texts_in_chinese(terms, purchase, report, kwargs, code, chinese, zh):
    assert text_of(decide(terms, purchase, report, **kwargs), code) == chinese


def test_retail_reasons_without_fault_in_chinese(zh):
    ok = decide(RETAIL, "2026-09-03", "2026-09-06", Fault.NONE)
    assert text_of(ok, "no_reason_return") == "购买第 3 天,商品不影响再次销售的,7 天内可无理由退货"
    late = decide(RETAIL, "2026-09-03", "2026-09-11", Fault.NONE)
    assert text_of(late, "no_reason_return_expired") == "购买第 8 天,商品无质量问题,已超过 7 天无理由退货期限"
    blocked = decide(
        RETAIL, "2026-09-03", "2026-09-06", Fault.NONE, conditions=frozenset({"accessories_missing"})
    )
    assert text_of(blocked, "excluded:accessories_missing") == "配件不全或损坏,无质量问题恕不退货"


def test_customer_damage_text_in_chinese(zh):
    decision = decide(MANUFACTURER, "2026-07-10", "2026-07-12", Fault.CUSTOMER)
    assert (
        text_of(decision, "customer_damage") == "因客户自身原因造成损坏,维修费用由客户承担,按最近市场价收费"
    )


@pytest.mark.parametrize(
    ("terms", "purchase", "report", "kwargs", "code", "english"),
    [
        (
            RETAIL,
            "2026-09-03",
            "2026-09-12",
            {},
            "refund_window",
            "Day 9 after purchase, quality fault: refund within 15 days",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2026-07-10",
            {},
            "replace_window",
            "On the day of purchase, quality fault: exchange within 1 month",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2027-08-01",
            {"prior_repairs_same_fault": 1},
            "repeat_extension",
            "The same fault was repaired 1 time before: warranty extended by 2 months to 2027-09-10",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2028-08-01",
            {"prior_repairs_same_fault": 3},
            "repeat_extension",
            "The same fault was repaired 3 times before: warranty extended by 6 months to 2028-01-10",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2027-08-01",
            {},
            "out_of_warranty",
            "Day 387 after purchase: the warranty of 12 months ended on 2027-07-10, the repair is paid",
        ),
        (
            MANUFACTURER,
            "2026-07-10",
            "2026-07-12",
            {"conditions": frozenset({"appearance_damage"})},
            "excluded:appearance_damage",
            "Excluded (visible appearance damage): no refund or exchange, repair only",
        ),
    ],
)
def test_reason_texts_in_english(terms, purchase, report, kwargs, code, english, en):
    assert text_of(decide(terms, purchase, report, **kwargs), code) == english


def test_condition_labels(zh):
    assert condition_label("appearance_damage") == "外观有明显损伤"
    assert condition_label("no_such_thing") == "no_such_thing"
    for condition in ALL_CONDITIONS:
        assert condition_label(condition) != condition


# --- presets and the decision's shape ----------------------------------------------------------------------


def test_presets():
    assert set(PRESETS) == {"manufacturer", "retail", "cn-national"}
    assert all(PRESETS[slug].slug == slug for slug in PRESETS)
    assert MANUFACTURER.exclusions | RETAIL.exclusions | CN_NATIONAL.exclusions == ALL_CONDITIONS
    assert {
        "appearance_damage",
        "use_marks",
        "custom_made",
        "packaging_damaged",
        "accessories_missing",
        "no_warranty_card",
        "special_price",
        "gift",
    } == ALL_CONDITIONS
    assert MANUFACTURER.purchase_proof_required
    assert not RETAIL.purchase_proof_required
    assert CN_NATIONAL.failed_repairs_for_choice == 2


def test_policy_terms_accept_a_list_of_exclusions():
    terms = replace(RETAIL, exclusions=["gift", "use_marks", "custom_made"])
    assert terms.exclusions == frozenset({"gift", "use_marks", "custom_made"})
    assert hash(terms) == hash(replace(RETAIL, exclusions=frozenset({"custom_made", "use_marks", "gift"})))
    with pytest.raises(ValueError):
        replace(CN_NATIONAL, failed_repairs_for_choice=0)
    with pytest.raises(ValueError, match="subset"):
        replace(RETAIL, exclusions=["gift"])


def test_as_dict_is_json_ready(en):
    decision = decide(MANUFACTURER, "2026-07-10", "2026-07-13")
    data = decision.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "remedy": "refund",
        "eligible": ["refund", "replace", "free_repair"],
        "payer": "company",
        "warranty_end": "2027-07-10",
        "reasons": [
            {
                "code": "refund_window",
                "text": "Day 3 after purchase, quality fault: refund within 7 days",
                "params": {"days": 3, "limit": [7, "days"]},
            },
            {
                "code": "replace_window",
                "text": "Day 3 after purchase, quality fault: exchange within 1 month",
                "params": {"days": 3, "limit": [1, "months"]},
            },
            {
                "code": "free_repair_window",
                "text": "Day 3 after purchase, quality fault: free repair within 12 months, warranty until 2027-07-10",
                "params": {"days": 3, "end": "2027-07-10", "limit": [12, "months"]},
            },
        ],
        "policy": "manufacturer",
        "policy_version": 1,
    }


@pytest.mark.parametrize("purchase", ["2026-07-10", "2025-01-02", None])
@pytest.mark.parametrize("fault", list(Fault))
@pytest.mark.parametrize("contract", [False, True])
def test_a_stored_reason_reads_again_in_each_language(purchase, fault, contract):
    """What a ticket stores (code and parameters, through JSON) gives back the same sentence in either
    language as the verdict itself, so a Chinese record reads in English for an English reader."""
    decision = decide(
        MANUFACTURER, purchase, "2026-07-13", fault, under_contract=contract, prior_repairs_same_fault=1
    )
    stored = json.loads(json.dumps(decision.as_dict()))
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for reason, data in zip(decision.reasons, stored["reasons"], strict=True):
                assert reason_text(data["code"], data["params"]) == reason.text
    with translation.override("en"):
        assert all(not re.search(r"[\u4e00-\u9fff]", reason.text) for reason in decision.reasons)


def test_as_dict_of_no_remedy():
    data = decide(RETAIL, "2026-09-03", "2026-09-06", Fault.NONE, conditions=frozenset({"gift"})).as_dict()
    assert data["remedy"] == "none"
    assert data["eligible"] == []
    assert data["payer"] is None
    assert data["warranty_end"] == "2026-12-03"
    assert data["reasons"][0]["code"] == "excluded:gift"
