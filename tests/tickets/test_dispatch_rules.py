"""The dispatch scoring function (tickets.dispatch_rules): who is never offered, who comes first and why."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.dispatch_rules import (
    Job,
    Reason,
    Skill,
    TechnicianFacts,
    TicketFacts,
    Window,
    assess,
    describe,
    is_eligible,
    rank,
    required_skill,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)  # a Thursday
TODAY = NOW.date()


def at(hour: int, day: datetime.date = TODAY) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def technician(technician_id: int = 1, **overrides) -> TechnicianFacts:
    facts = {
        "technician_id": technician_id,
        "name": f"技术员{technician_id}",
        "skills": (Skill("appliance"),),
        "home_zone": "city",
        "zones_served": frozenset({"city"}),
        "working_weekdays": frozenset(range(7)),
        "capacity": 4,
    }
    return TechnicianFacts(**(facts | overrides))


def ticket(**overrides) -> TicketFacts:
    facts = {
        "ticket_id": 1,
        "category": "appliance",
        "zone": "city",
        "distance_km": Decimal("8"),
        "due_at": NOW + datetime.timedelta(hours=5),
        "day": TODAY,
    }
    return TicketFacts(**(facts | overrides))


def order(job: TicketFacts, *technicians: TechnicianFacts) -> list[int]:
    return [suggestion.technician_id for suggestion in rank(job, technicians, NOW, limit=10)]


# --- who is never offered ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "eligible"),
    [
        ({}, True),
        ({"skills": ()}, False),
        ({"skills": (Skill("body"),)}, False),
        ({"skills": (Skill("appliance", valid_until=TODAY),)}, True),  # valid through its last day
        ({"skills": (Skill("appliance", valid_until=TODAY - datetime.timedelta(days=1)),)}, False),
        ({"skills": (Skill("appliance", TODAY - datetime.timedelta(days=1)), Skill("appliance"))}, True),
        ({"leave": ((TODAY, TODAY),)}, False),
        ({"leave": ((TODAY - datetime.timedelta(days=3), TODAY + datetime.timedelta(days=3)),)}, False),
        ({"leave": ((TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=4)),)}, True),
        ({"leave": ((TODAY - datetime.timedelta(days=4), TODAY - datetime.timedelta(days=1)),)}, True),
        ({"working_weekdays": frozenset({0, 1, 2, 4})}, False),  # Thursday off
        ({"working_weekdays": frozenset({3})}, True),
    ],
)
def test_eligibility_table(facts, eligible):
    assert is_eligible(ticket(), technician(**facts)) is eligible
    assert (assess(ticket(), technician(**facts), NOW) is None) is not eligible


def test_the_day_that_counts_is_the_appointments_day_not_today():
    tomorrow = TODAY + datetime.timedelta(days=1)
    away_tomorrow = technician(leave=((tomorrow, tomorrow),))
    assert is_eligible(ticket(), away_tomorrow)
    booked_tomorrow = ticket(day=tomorrow, window=Window(at(9, tomorrow), at(11, tomorrow)))
    assert not is_eligible(booked_tomorrow, away_tomorrow)


@pytest.mark.parametrize(
    ("fault", "product", "needed"),
    [
        ("appliance", "appliance", "appliance"),
        ("chassis_engine", "body", "chassis_engine"),
        ("other", "appliance", "appliance"),
        ("other", "", "other"),
    ],
)
def test_required_skill(fault, product, needed):
    assert required_skill(fault, product) == needed


# --- who comes first -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "job"),
    [
        # Home zone before a served zone before a stranger to the zone.
        ({"home_zone": "city"}, {"home_zone": "suburb", "zones_served": frozenset({"city"})}, {}),
        (
            {"home_zone": "suburb", "zones_served": frozenset({"city"})},
            {"home_zone": "remote", "zones_served": frozenset()},
            {},
        ),
        # The one with fewer jobs that day.
        ({"jobs": (Job(),)}, {"jobs": (Job(), Job())}, {}),
        # Jobs on another day do not count.
        ({"jobs": (Job(day=TODAY + datetime.timedelta(days=1)),) * 3}, {"jobs": (Job(),)}, {}),
        # A free window before a clashing one, even with more jobs.
        (
            {"jobs": (Job(Window(at(14), at(16)), TODAY), Job(Window(at(16), at(17)), TODAY))},
            {"jobs": (Job(Window(at(9), at(11)), TODAY),)},
            {"window": Window(at(10), at(12))},
        ),
        # The one who repaired this unit, then the one who knows the customer.
        ({"technician_id": 7}, {"technician_id": 8}, {"fixed_unit_before": frozenset({7})}),
        ({"technician_id": 7}, {"technician_id": 8}, {"served_customer_before": frozenset({7})}),
        # A repeat visit outweighs one extra job.
        ({"technician_id": 7, "jobs": (Job(),)}, {"technician_id": 8}, {"fixed_unit_before": frozenset({7})}),
        # Under capacity before over it.
        ({"capacity": 3, "jobs": (Job(),) * 2}, {"capacity": 2, "jobs": (Job(),) * 2}, {}),
    ],
)
def test_ordering_table(first, second, job):
    a = technician(**({"technician_id": 1} | first))
    b = technician(**({"technician_id": 2} | second))
    job_facts = ticket(**job)
    assert order(job_facts, a, b) == [a.technician_id, b.technician_id]
    assert order(job_facts, b, a) == [a.technician_id, b.technician_id]


def test_little_slack_makes_the_load_weigh_more_than_a_repeat_visit():
    knows = technician(7, jobs=(Job(), Job()))
    free = technician(8)
    relaxed = ticket(fixed_unit_before=frozenset({7}), due_at=NOW + datetime.timedelta(hours=30))
    pressing = ticket(fixed_unit_before=frozenset({7}), due_at=NOW + datetime.timedelta(hours=2))
    assert order(relaxed, knows, free) == [7, 8]
    assert order(pressing, knows, free) == [8, 7]


def test_a_far_customer_outside_the_zones_costs_more_than_a_near_one():
    outsider = technician(home_zone="suburb", zones_served=frozenset({"suburb"}))
    near = assess(ticket(distance_km=Decimal("10")), outsider, NOW)
    far = assess(ticket(distance_km=Decimal("120")), outsider, NOW)
    assert far.score < near.score


def test_ties_go_to_the_name_then_the_id_and_the_limit_keeps_the_best():
    same = [technician(i, name=name) for i, name in ((3, "B"), (1, "A"), (2, "A"))]
    assert order(ticket(), *same) == [1, 2, 3]
    assert [s.technician_id for s in rank(ticket(), tuple(same), NOW, limit=2)] == [1, 2]


# --- why, in one line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "job", "line"),
    [
        ({"jobs": (Job(),) * 3}, {}, "同区域 · 家用电器资质 · 当天 3 单 · 剩 5 小时"),
        (
            {"home_zone": "suburb", "zones_served": frozenset({"city"})},
            {},
            "服务该区域 · 家用电器资质 · 当天 0 单 · 剩 5 小时",
        ),
        (
            {"home_zone": "remote", "zones_served": frozenset()},
            {"distance_km": Decimal("42.7")},
            "区域外 42 公里 · 家用电器资质 · 当天 0 单 · 剩 5 小时",
        ),
        (
            {},
            {"fixed_unit_before": frozenset({1})},
            "同区域 · 家用电器资质 · 曾修过此机 · 当天 0 单 · 剩 5 小时",
        ),
        (
            {},
            {"served_customer_before": frozenset({1})},
            "同区域 · 家用电器资质 · 曾服务该客户 · 当天 0 单 · 剩 5 小时",
        ),
        ({"capacity": 1, "jobs": (Job(),)}, {}, "同区域 · 家用电器资质 · 当天 1 单 · 超负荷 · 剩 5 小时"),
        (
            {"jobs": (Job(Window(at(9), at(11)), TODAY),)},
            {"window": Window(at(10), at(12))},
            "同区域 · 家用电器资质 · 当天 1 单 · 预约时段冲突 · 剩 5 小时",
        ),
        (
            {},
            {"due_at": NOW - datetime.timedelta(hours=3)},
            "同区域 · 家用电器资质 · 当天 0 单 · 已超时 3 小时",
        ),
        (
            {"skills": (Skill("chassis_engine"),)},
            {"category": "chassis_engine"},
            "同区域 · 底盘/发动机资质 · 当天 0 单 · 剩 5 小时",
        ),
    ],
)
def test_reason_lines(facts, job, line):
    with translation.override("zh-hans"):
        assert assess(ticket(**job), technician(**facts), NOW).reason_line == line


def test_the_reason_line_is_translated():
    reasons = (Reason("same_zone"), Reason("load", 3), Reason("slack", 5))
    with translation.override("en"):
        line = describe(reasons)
    assert "同区域" not in line
    assert "3" in line and "5" in line


def test_an_unknown_reason_code_is_an_error_not_a_blank():
    with pytest.raises(ValueError):
        describe((Reason("nonsense"),))


# The machine is shared: no per-example deadline, as in the other property tests.
EXAMPLES = settings(max_examples=300, deadline=None)

# --- properties ----------------------------------------------------------------------------------

CATEGORIES = ["appliance", "body", "chassis_engine", "other"]
ZONES = ["city", "suburb", "remote"]
days = st.dates(min_value=TODAY - datetime.timedelta(days=5), max_value=TODAY + datetime.timedelta(days=5))
skills = st.builds(Skill, st.sampled_from(CATEGORIES), st.one_of(st.none(), days))
windows = st.builds(
    lambda start, hours: Window(at(start), at(start + hours)),
    st.integers(min_value=7, max_value=18),
    st.integers(min_value=1, max_value=4),
)
jobs = st.builds(Job, st.one_of(st.none(), windows), st.one_of(st.none(), days))
leave = st.tuples(days, st.integers(min_value=0, max_value=4)).map(
    lambda pair: (pair[0], pair[0] + datetime.timedelta(days=pair[1]))
)


@st.composite
def technicians(draw):
    ids = draw(st.lists(st.integers(min_value=1, max_value=60), min_size=0, max_size=12, unique=True))
    return tuple(
        TechnicianFacts(
            technician_id=technician_id,
            name=draw(st.sampled_from(["李强", "吴刚", "郑浩", "王芳"])),
            skills=tuple(draw(st.lists(skills, max_size=3))),
            home_zone=draw(st.sampled_from(ZONES)),
            zones_served=frozenset(draw(st.lists(st.sampled_from(ZONES), max_size=3))),
            working_weekdays=frozenset(draw(st.lists(st.integers(0, 6), max_size=7))),
            leave=tuple(draw(st.lists(leave, max_size=2))),
            capacity=draw(st.integers(min_value=1, max_value=8)),
            jobs=tuple(draw(st.lists(jobs, max_size=6))),
        )
        for technician_id in ids
    )


tickets = st.builds(
    TicketFacts,
    ticket_id=st.just(1),
    category=st.sampled_from(CATEGORIES),
    zone=st.sampled_from(ZONES),
    distance_km=st.decimals(min_value=0, max_value=99999, places=1),
    due_at=st.integers(min_value=-72, max_value=200).map(lambda hours: NOW + datetime.timedelta(hours=hours)),
    day=days,
    window=st.one_of(st.none(), windows),
    fixed_unit_before=st.frozensets(st.integers(min_value=1, max_value=60), max_size=3),
    served_customer_before=st.frozensets(st.integers(min_value=1, max_value=60), max_size=3),
)


@EXAMPLES
@given(tickets, technicians(), st.integers(min_value=1, max_value=12))
def test_never_offers_one_on_leave_off_duty_or_without_the_skill(job, team, limit):
    offered = rank(job, team, NOW, limit=limit)
    by_id = {facts.technician_id: facts for facts in team}
    assert len(offered) <= limit
    for suggestion in offered:
        facts = by_id[suggestion.technician_id]
        assert not any(first <= job.day <= last for first, last in facts.leave)
        assert job.day.weekday() in facts.working_weekdays
        assert any(
            s.category == job.category and (s.valid_until is None or s.valid_until >= job.day)
            for s in facts.skills
        )


@EXAMPLES
@given(tickets, technicians(), st.randoms(use_true_random=False))
def test_the_same_inputs_give_the_same_order_in_whatever_order_the_team_comes(job, team, random):
    first = rank(job, team, NOW)
    shuffled = list(team)
    random.shuffle(shuffled)
    assert rank(job, tuple(shuffled), NOW) == first
    assert rank(job, team, NOW) == first


@EXAMPLES
@given(tickets, technicians())
def test_everyone_eligible_is_offered_when_the_limit_allows_and_scores_never_rise_down_the_list(job, team):
    offered = rank(job, team, NOW, limit=len(team) + 1)
    assert {s.technician_id for s in offered} == {t.technician_id for t in team if is_eligible(job, t)}
    scores = [s.score for s in offered]
    assert scores == sorted(scores, reverse=True)
    assert all(s.reason_line for s in offered)
