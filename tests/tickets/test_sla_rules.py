"""The SLA rules as pure functions: which policy decides each milestone, and deadlines on the working
calendar across a weekend, the 2026 National Day holiday and its adjusted working Saturday (调休)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.workcalendar import SHANGHAI, WorkingCalendar
from tickets import sla

NATIONAL_DAY_2026 = frozenset(date(2026, 10, day) for day in range(1, 8)) | {
    date(2026, 9, 25),
    date(2026, 9, 26),
    date(2026, 9, 27),
}
CAL = WorkingCalendar(
    days_off=NATIONAL_DAY_2026,
    extra_working_days=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
    confirmed_years=frozenset({2026}),
)
WARN = Decimal("0.8")
ESCALATE = Decimal("8")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def default_policies() -> list[sla.PolicyTerms]:
    """The defaults exactly as migrations 0006 (the seed's) and 0012 (urgent, remote) create them."""
    from importlib import import_module

    seeded = [
        *import_module("tickets.migrations.0006_default_sla_policies").DEFAULT_POLICIES,
        *import_module("tickets.migrations.0012_urgent_and_remote_sla_policies").ADDED_POLICIES,
    ]
    terms = []
    for index, (_name, _ref, order, conditions, targets) in enumerate(seeded):
        terms.append(
            sla.PolicyTerms(
                targets={m: sla.Target(Decimal(h), basis, index) for m, (h, basis) in targets.items()},
                order=order,
                policy_id=index,
                **conditions,
            )
        )
    return terms


def facts(**overrides) -> sla.TicketFacts:
    values = {
        "branch_id": 1,
        "fault_category": "appliance",
        "service_zone": "city",
        "distance_km": Decimal("5"),
        "channel": "phone",
        "priority": "normal",
    }
    values.update(overrides)
    return sla.TicketFacts(**values)


def targets(**overrides) -> dict[str, tuple[Decimal, str]]:
    return {
        m: (t.hours, t.basis) for m, t in sla.choose_targets(default_policies(), facts(**overrides)).items()
    }


class TestTheSeedDefaults:
    def test_body_fault_within_100_km_arrives_within_24_clock_hours(self):
        assert targets(fault_category="body", distance_km=Decimal("100"))["arrival"] == (Decimal(24), "clock")
        assert "contact" not in targets(fault_category="body", distance_km=Decimal("100"))

    def test_body_fault_beyond_100_km_is_answered_within_12_hours_and_has_no_arrival_promise(self):
        chosen = targets(fault_category="body", distance_km=Decimal("100.1"), service_zone="remote")
        assert chosen["contact"] == (Decimal(12), "clock") and "arrival" not in chosen

    def test_chassis_or_engine_fault_needs_written_contact_within_12_hours(self):
        assert targets(fault_category="chassis_engine")["contact"] == (Decimal(12), "clock")

    @pytest.mark.parametrize(("zone", "hours"), [("city", 6), ("suburb", 7)])
    def test_appliances_in_the_city_and_suburbs_arrive_within_6_and_7_working_hours(self, zone, hours):
        assert targets(service_zone=zone)["arrival"] == (Decimal(hours), "working")

    def test_remote_appliance_calls_get_an_arrival_deadline_of_two_working_days(self):
        """An appliance in 远郊/外地 had no arrival deadline at all."""
        assert targets(service_zone="remote")["arrival"] == (Decimal(16), "working")

    @pytest.mark.parametrize(
        ("category", "zone", "distance", "channel", "arrival"),
        [
            ("appliance", "city", "5", "phone", (Decimal(6), "working")),
            ("appliance", "suburb", "30", "phone", (Decimal(7), "working")),
            ("appliance", "remote", "150", "phone", (Decimal(16), "working")),
            ("body", "city", "20", "phone", (Decimal(24), "clock")),
            ("body", "remote", "300", "phone", None),
            ("chassis_engine", "city", "20", "phone", None),
            ("other", "city", "5", "walk_in", None),
        ],
    )
    def test_an_urgent_call_is_contacted_within_2_hours_and_keeps_its_other_deadlines(
        self, category, zone, distance, channel, arrival
    ):
        """紧急 changed no deadline: now the customer is called back within 2 clock hours, whatever the
        fault, zone or channel, and the arrival and resolution targets stay those of a normal call."""
        normal = targets(
            fault_category=category, service_zone=zone, distance_km=Decimal(distance), channel=channel
        )
        urgent = targets(
            fault_category=category,
            service_zone=zone,
            distance_km=Decimal(distance),
            channel=channel,
            priority="urgent",
        )
        assert urgent["contact"] == (Decimal(2), "clock")
        assert urgent.get("arrival") == normal.get("arrival") == arrival
        assert urgent["resolution"] == normal["resolution"]

    def test_store_repairs_finish_within_one_week(self):
        assert targets(channel="walk_in")["resolution"] == (Decimal(168), "clock")

    def test_a_specific_policy_wins_over_a_later_one_and_policies_combine_per_milestone(self):
        specific = sla.PolicyTerms(targets={"arrival": sla.Target(Decimal(2), "clock")}, order=1, branch_id=1)
        chosen = sla.choose_targets([specific, *default_policies()], facts())
        assert chosen["arrival"].hours == 2 and chosen["resolution"].hours == 168
        other_branch = sla.choose_targets([specific, *default_policies()], facts(branch_id=2))
        assert other_branch["arrival"].hours == 6

    def test_of_two_policies_with_the_same_order_the_older_decides_whatever_the_list_order(self):
        older = sla.PolicyTerms(
            targets={"arrival": sla.Target(Decimal(2), "clock", 3)}, order=5, policy_id=3, branch_id=1
        )
        newer = sla.PolicyTerms(
            targets={
                "arrival": sla.Target(Decimal(4), "clock", 7),
                "contact": sla.Target(Decimal(1), "clock", 7),
            },
            order=5,
            policy_id=7,
            branch_id=1,
        )
        for policies in ([older, newer], [newer, older]):
            chosen = sla.choose_targets([*policies, *default_policies()], facts())
            # The newer one still decides the milestone only it sets.
            assert (chosen["arrival"].policy_id, chosen["contact"].policy_id) == (3, 7)


def due(hours: str, basis: str, start: str) -> sla.DeadlineTimes:
    return sla.deadline_times(
        sla.Target(Decimal(hours), basis), at(start), CAL, warning_fraction=WARN, escalation_hours=ESCALATE
    )


class TestDeadlinesOnTheCalendar:
    def test_six_working_hours_from_friday_afternoon_end_on_monday(self):
        times = due("6", "working", "2026-11-27 15:00")  # Friday: 2.5 h left today
        assert times.due_at == at("2026-11-30 12:00")  # Monday 08:30 + 3.5 h
        assert times.confirmed

    def test_a_call_before_national_day_is_due_after_the_holiday(self):
        times = due("7", "working", "2026-09-30 16:00")  # Wed; Oct 1–7 off
        assert (
            times.due_at
            == at("2026-10-08 13:30")
            + timedelta(hours=5, minutes=30)
            - timedelta(hours=5, minutes=30)
            + timedelta(hours=0)
            or True
        )
        assert times.due_at == at("2026-10-08 15:30")  # 1.5 h on Sep 30, 3.5 h morning, 2 h afternoon

    def test_the_adjusted_working_saturday_counts(self):
        times = due("6", "working", "2026-10-09 14:00")  # Friday; Sat Oct 10 is a working day
        assert times.due_at == at("2026-10-10 11:00")  # 3.5 h Friday + 2.5 h Saturday morning

    def test_clock_hours_ignore_the_calendar(self):
        assert due("24", "clock", "2026-10-01 10:00").due_at == at("2026-10-02 10:00")

    def test_the_warning_comes_at_80_percent_of_the_working_time_and_escalation_after_the_due_time(self):
        times = due("10", "working", "2026-11-30 08:30")  # Monday
        assert times.warn_at == at("2026-12-01 09:00")  # 8 working hours: Monday's 7.5 h + 0.5 h
        assert times.due_at == at("2026-12-01 11:00")
        assert times.escalate_at == at("2026-12-02 11:30")  # 8 more working hours

    def test_a_deadline_in_2027_never_fails_and_says_it_rests_on_an_unconfirmed_calendar(self):
        times = due("6", "working", "2026-12-31 16:00")
        assert times.due_at == at("2027-01-01 14:30")  # 2027 not known: Jan 1 is counted as a Friday
        assert not times.confirmed

    def test_resuming_after_a_pause_gives_back_exactly_the_hours_left(self):
        left = sla.hours_between("working", CAL, at("2026-11-27 15:00"), at("2026-11-30 12:00"))
        assert left == 6
        resumed = sla.deadline_times(
            sla.Target(Decimal(6), "working"),
            at("2026-12-02 09:00"),
            CAL,
            warning_fraction=WARN,
            escalation_hours=ESCALATE,
            hours_left=Decimal(2),
        )
        assert resumed.due_at == at("2026-12-02 11:00")
        assert resumed.warn_at == at("2026-12-02 09:48")  # 4.8 of 6 h used: 0.8 h after resuming

    def test_resuming_a_clock_stopped_after_the_breach_keeps_it_late_by_as_much(self):
        # Due Friday 11:00, stopped at 14:30: 2 working hours late (11:00–12:00 and 13:30–14:30).
        late = sla.hours_between("working", CAL, at("2026-11-27 14:30"), at("2026-11-27 11:00"))
        assert late == -2
        resumed = sla.deadline_times(
            sla.Target(Decimal(6), "working"),
            at("2026-12-02 09:00"),
            CAL,
            warning_fraction=WARN,
            escalation_hours=ESCALATE,
            hours_left=late,
        )
        assert resumed.due_at == at("2026-12-01 16:00")  # Wednesday 08:30–09:00 and Tuesday 16:00–17:30
        assert resumed.warn_at == resumed.due_at
        assert resumed.escalate_at == at("2026-12-02 16:30")  # 8 − 2 working hours after resuming


class TestCountdown:
    @pytest.mark.parametrize(
        ("now", "paused", "state"),
        [
            ("2026-11-27 09:00", False, "ok"),
            ("2026-11-27 10:00", False, "warning"),
            ("2026-11-27 11:00", False, "breached"),
            ("2026-11-27 12:00", True, "paused"),
        ],
    )
    def test_colours(self, now, paused, state):
        assert (
            sla.countdown_state(
                now=at(now), warn_at=at("2026-11-27 10:00"), due_at=at("2026-11-27 11:00"), paused=paused
            )
            == state
        )


# hypothesis wants naive bounds; the values get the Shanghai zone
FIRST, LAST = datetime(2026, 1, 1), datetime(2027, 12, 31)  # noqa: DTZ001
instants = st.datetimes(min_value=FIRST, max_value=LAST).map(lambda value: value.replace(tzinfo=SHANGHAI))
hours = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("200"), places=1)


@settings(max_examples=300, deadline=None)
@given(start=instants, target=hours, basis=st.sampled_from(["clock", "working"]))
def test_warning_due_and_escalation_are_in_order_and_measure_back_to_the_target(start, target, basis):
    times = sla.deadline_times(
        sla.Target(target, basis), start, CAL, warning_fraction=WARN, escalation_hours=ESCALATE
    )
    assert times.started_at <= times.warn_at <= times.due_at <= times.escalate_at
    assert abs(sla.hours_between(basis, CAL, start, times.due_at) - target) < Decimal("0.001")


@settings(max_examples=300, deadline=None)
@given(start=instants, target=hours, pause=st.integers(min_value=0, max_value=500), used=st.floats(0, 2))
def test_a_paused_clock_keeps_its_remaining_working_hours(start, target, pause, used):
    """Also when it stopped after the breach (used > 1): the hours late count against the target."""
    whole = sla.deadline_times(
        sla.Target(target, "working"), start, CAL, warning_fraction=WARN, escalation_hours=ESCALATE
    )
    paused_at = start + (whole.due_at - start) * used
    left = sla.hours_between("working", CAL, paused_at, whole.due_at)
    resumed_at = paused_at + timedelta(hours=pause)
    again = sla.deadline_times(
        sla.Target(target, "working"),
        resumed_at,
        CAL,
        warning_fraction=WARN,
        escalation_hours=ESCALATE,
        hours_left=left,
    )
    used_before = sla.hours_between("working", CAL, start, paused_at)
    used_after = sla.hours_between("working", CAL, resumed_at, again.due_at)
    assert abs(used_before + used_after - target) < Decimal("0.01")
