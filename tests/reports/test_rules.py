"""The pure parts: percentages and targets, the SVG charts, the grouping of follow-up findings."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from reports.charts import BAR_FONT_PX, BAR_LABEL_PX, LABEL_WIDTH, bar_chart, column_chart, fit_label
from reports.findings import group_findings
from reports.metrics import Change, Target, change, kpi_targets, percent

TIMELINESS = Target("timeliness", "及时率", Decimal("90"), True)
COMPLAINTS = Target("complaint_rate", "投诉率", Decimal("3"), False)


def test_percent_rounds_half_up_to_a_tenth_and_is_none_without_a_denominator():
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(1, 16) == Decimal("6.3")  # 6.25 → 6.3
    assert percent(0, 0) is None


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_percent_stays_within_its_bounds(part, whole):
    part = min(part, whole)
    assert Decimal(0) <= percent(part, whole) <= Decimal(100)


def test_targets_meet_on_the_right_side_of_the_threshold():
    assert TIMELINESS.meets(Decimal("90.0")) is True and TIMELINESS.meets(Decimal("89.9")) is False
    assert COMPLAINTS.meets(Decimal("2.9")) is True and COMPLAINTS.meets(Decimal("3.0")) is False
    assert TIMELINESS.meets(None) is None
    assert (TIMELINESS.text, COMPLAINTS.text) == ("≥ 90 %", "< 3 %")


def test_default_targets_are_the_seed_goals():
    targets = kpi_targets()
    assert {key: target.threshold for key, target in targets.items()} == {
        "timeliness": 90,
        "satisfaction": 85,
        "complaint_rate": 3,
    }


def test_a_bar_below_target_is_red_and_the_target_line_is_labelled():
    svg = bar_chart(
        [("上海", Decimal("66.7")), ("杭州", Decimal("100.0"))], title="及时率", target=TIMELINESS, unit="%"
    )
    assert svg.startswith("<svg") and svg.count("<rect") == 2
    assert 'fill="#dc3545"' in svg and 'fill="#198754"' in svg
    assert "≥ 90 %" in svg and "66.7%" in svg


def test_chart_labels_are_escaped():
    svg = column_chart([("<script>", 3)], title="a & b")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg


def test_a_bar_label_is_cut_by_its_width_not_its_length():
    """An English category's name was cut at fourteen letters ("B Contract ser"), half the room."""
    assert fit_label("B Contract service") == "B Contract service"
    assert fit_label("空调室外机压缩机故障维修") == "空调室外机压缩机故障维修"  # twelve: fits
    assert fit_label("空调室外机压缩机故障维修记录") == "空调室外机压缩机故障维…"
    # The label column is 144 px of 12 px type: fourteen Chinese characters (the first budget) ran past the
    # chart's left edge.
    assert LABEL_WIDTH * BAR_FONT_PX / 2 <= BAR_LABEL_PX - 6
    svg = bar_chart([("D Internal work orders", 2)], title="t")
    assert ">D Internal work orders</text>" in svg
    svg = bar_chart([("Not dispatched / no ticket linked", 2)], title="t")
    assert "<title>Not dispatched / no ticket linked</title>Not dispatched / no tic…</text>" in svg


@given(st.text(max_size=40))
def test_a_fitted_label_fits_and_keeps_what_it_can(label):
    fitted = fit_label(label)
    width = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in fitted)
    assert width <= LABEL_WIDTH
    if fitted != label:
        assert fitted.endswith("…") and label.startswith(fitted[:-1]) and width >= LABEL_WIDTH - 2


def test_an_empty_chart_still_renders():
    assert "—" in bar_chart([], title="空")


SURVEY = {"attitude": 4, "skill": 4, "punctuality": 4, "promises": 4, "comment": ""}


@translation.override("zh-hans")
def test_findings_are_grouped_by_what_went_wrong_and_what_was_praised():
    findings = group_findings(
        [
            {**SURVEY, "ticket": "T1", "comment": "很好"},
            {**SURVEY, "ticket": "T2", "punctuality": 2, "promises": 1, "comment": "来晚了"},
            {**SURVEY, "ticket": "T3"},  # nothing to say
        ],
        [
            {"ticket": "T4", "satisfied": True, "problem_found": False, "notes": "客户表扬"},
            {"ticket": "T5", "satisfied": False, "problem_found": False, "notes": "噪音"},
            {"ticket": "T6", "satisfied": True, "problem_found": True, "notes": "漏水"},
        ],
        [{"ticket": None, "number": "C-1", "description": "态度差"}],
    )
    assert [item.ticket for item in findings.praised.items] == ["T1", "T4"]
    problems = {group.key: [(item.ticket, item.level) for item in group.items] for group in findings.problems}
    assert problems == {
        "attitude": [],
        "skill": [],
        "punctuality": [("T2", "一般")],
        "promises": [("T2", "不满意")],
        "follow_up": [("T5", ""), ("T6", "")],
        "complaint": [("C-1", "")],
    }


def test_a_limit_keeps_the_count_exact():
    surveys = [{**SURVEY, "ticket": f"T{n}", "skill": 1} for n in range(30)]
    group = next(g for g in group_findings(surveys, [], [], limit=5).problems if g.key == "skill")
    assert (group.count, len(group.items), group.truncated) == (30, 5, True)


def test_a_change_against_last_month_says_whether_it_is_better():
    # A rate: the difference in percentage points; better depends on the target's direction.
    assert change(Decimal("92.5"), Decimal("90.0"), higher_is_better=True) == Change(Decimal("2.5"), True)
    assert change(Decimal("4.0"), Decimal("2.5"), higher_is_better=False) == Change(Decimal("1.5"), False)
    fewer = change(Decimal("80.0"), Decimal("85.0"), higher_is_better=True)
    assert (fewer.sign, fewer.magnitude, fewer.improved) == ("−", Decimal("5.0"), False)
    # The number of calls: no direction is better; nothing last month: nothing to compare.
    assert change(12, 9, higher_is_better=None) == Change(3, None)
    assert change(Decimal("90.0"), None, higher_is_better=True) == Change(None, None)
    assert change(None, Decimal("90.0"), higher_is_better=True).sign == ""
    assert change(5, 5, higher_is_better=False) == Change(0, None)
