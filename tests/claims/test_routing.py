"""Approval routing (§2-一-2) and 人民币大写: pure functions, tested widely."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.money import rmb_upper
from claims.routing import DEFAULT_RULE, LevelSpec, RoutingRule, is_large, route

SH_RULE = RoutingRule(
    threshold=Decimal("2000.00"),
    levels=(
        LevelSpec("supervisor"),
        LevelSpec("manager", large_only=True),
        LevelSpec("general_manager", large_only=True),
    ),
)


def roles(amount: str, kind: str = "cash", rule: RoutingRule = SH_RULE) -> list[str]:
    return [level.role for level in route(Decimal(amount), kind, rule).levels]


class TestThreshold:
    def test_below_the_threshold_the_department_alone_decides(self):
        assert roles("1999.99") == ["supervisor"]
        assert route(Decimal("1999.99"), "cash", SH_RULE).large is False

    def test_at_exactly_the_threshold_the_claim_is_still_small(self):
        assert roles("2000.00") == ["supervisor"]
        assert is_large(Decimal("2000.00"), Decimal("2000.00")) is False

    def test_one_fen_above_the_threshold_the_general_manager_approves(self):
        assert roles("2000.01") == ["supervisor", "manager", "general_manager"]
        assert route(Decimal("2000.01"), "cash", SH_RULE).large is True

    def test_levels_are_numbered_from_one_in_order(self):
        levels = route(Decimal("5000"), "refund", SH_RULE).levels
        assert [(level.position, level.role) for level in levels] == [
            (1, "supervisor"),
            (2, "manager"),
            (3, "general_manager"),
        ]

    def test_the_default_rule_is_the_seeds_two_cases(self):
        assert roles("2000", rule=DEFAULT_RULE) == ["supervisor"]
        assert roles("2000.01", rule=DEFAULT_RULE) == ["supervisor", "general_manager"]


class TestConfigurations:
    def test_a_large_claim_always_reaches_the_general_manager_even_if_nobody_configured_it(self):
        rule = RoutingRule(
            threshold=Decimal("500"), levels=(LevelSpec("supervisor"), LevelSpec("manager", True))
        )
        assert roles("501", rule=rule) == ["supervisor", "manager", "general_manager"]

    def test_with_no_levels_the_department_handles_it(self):
        rule = RoutingRule(threshold=Decimal("500"), levels=())
        assert roles("10", rule=rule) == ["supervisor"]
        assert roles("501", rule=rule) == ["supervisor", "general_manager"]

    def test_a_level_can_apply_to_some_kinds_only(self):
        rule = RoutingRule(
            threshold=Decimal("1000"),
            levels=(LevelSpec("supervisor"), LevelSpec("manager", kinds=frozenset({"cash"}))),
        )
        assert roles("10", "cash", rule) == ["supervisor", "manager"]
        assert roles("10", "fee_waiver", rule) == ["supervisor"]

    def test_a_role_is_asked_once(self):
        rule = RoutingRule(
            threshold=Decimal("1000"), levels=(LevelSpec("manager"), LevelSpec("manager", large_only=True))
        )
        assert roles("5000", rule=rule) == ["manager", "general_manager"]

    @pytest.mark.parametrize("amount", ["0", "-1", "-0.01"])
    def test_a_claim_without_an_amount_is_not_routed(self, amount):
        with pytest.raises(ValueError):
            route(Decimal(amount), "cash", SH_RULE)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
role_names = st.sampled_from(["supervisor", "manager", "general_manager"])
kinds = st.sampled_from(["refund", "replacement", "cash", "fee_waiver"])
rules = st.builds(
    RoutingRule,
    threshold=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
    levels=st.lists(
        st.builds(
            LevelSpec,
            role=role_names,
            large_only=st.booleans(),
            kinds=st.frozensets(kinds, max_size=2),
        ),
        max_size=4,
    ).map(tuple),
)


@given(rule=rules, first=amounts, second=amounts, kind=kinds)
def test_a_larger_amount_never_needs_fewer_roles(rule, first, second, kind):
    low, high = sorted((first, second))
    assert set(roles(str(low), kind, rule)) <= set(roles(str(high), kind, rule))


@given(rule=rules, amount=amounts, kind=kinds)
def test_every_route_has_levels_and_large_means_the_general_manager(rule, amount, kind):
    planned = route(amount, kind, rule)
    names = [level.role for level in planned.levels]
    assert names and len(names) == len(set(names))
    assert planned.large == (amount > rule.threshold)
    if planned.large:
        assert "general_manager" in names
    assert [level.position for level in planned.levels] == list(range(1, len(names) + 1))


class TestRmbUpper:
    @pytest.mark.parametrize(
        ("amount", "words"),
        [
            ("0", "零元整"),
            ("0.05", "伍分"),
            ("0.50", "伍角整"),
            ("1", "壹元整"),
            ("10", "壹拾元整"),
            ("15.00", "壹拾伍元整"),
            ("1005.50", "壹仟零伍元伍角整"),
            ("1010", "壹仟零壹拾元整"),
            ("1280.00", "壹仟贰佰捌拾元整"),
            ("2000.01", "贰仟元零壹分"),
            ("100000.07", "壹拾万元零柒分"),
            ("100001", "壹拾万零壹元整"),
            ("10010000", "壹仟零壹万元整"),
            ("20001000", "贰仟万壹仟元整"),
            ("1000000001", "壹拾亿零壹元整"),
            ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ],
    )
    def test_financial_writing(self, amount, words):
        assert rmb_upper(Decimal(amount)) == words

    def test_negative_amounts_are_refused(self):
        with pytest.raises(ValueError):
            rmb_upper(Decimal("-1"))

    @given(amounts)
    def test_only_capital_numerals_and_units(self, amount):
        words = rmb_upper(amount)
        assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
        assert "零零" not in words and not words.startswith("零")


@given(rule=rules, amount=amounts, kind=kinds)
def test_the_department_decides_first_and_the_general_manager_last(rule, amount, kind):
    """§2-一-2(2): the general manager approves after the supervisor's agreement with the customer,
    whatever order the levels were configured in."""
    names = roles(str(amount), kind, rule)
    if "supervisor" in names:
        assert names[0] == "supervisor"
    if "general_manager" in names:
        assert names[-1] == "general_manager"


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        # Only large-claim levels configured: the department is added before them.
        ((LevelSpec("general_manager", large_only=True),), ["supervisor", "general_manager"]),
        (
            (LevelSpec("general_manager", large_only=True), LevelSpec("manager", large_only=True)),
            ["supervisor", "manager", "general_manager"],
        ),
        # Configured in the wrong order: the route still ends with the general manager.
        ((LevelSpec("general_manager"), LevelSpec("supervisor")), ["supervisor", "general_manager"]),
        (
            (LevelSpec("manager"), LevelSpec("supervisor"), LevelSpec("general_manager", large_only=True)),
            ["supervisor", "manager", "general_manager"],
        ),
    ],
)
def test_the_order_of_a_large_claims_levels(levels, expected):
    assert roles("5000", "cash", RoutingRule(threshold=Decimal("2000"), levels=levels)) == expected
