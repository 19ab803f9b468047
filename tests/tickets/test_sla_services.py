"""Deadlines through the real write paths: set at intake from the seed's default policies, met at
check-in and acceptance, paused and resumed, recomputed when the customer's zone changes, and the
sweep's warnings, breaches and escalations — each sent once."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.errors import UserError
from customers.services import save_customer
from notifications.models import Notification
from tests.customers.factories import UnitFactory
from tickets import sla_services
from tickets.models import AlertLevel, ClockPause, RepairTicket, SlaAlert, SlaPolicy, State, TicketDeadline
from tickets.services import CallDetails, apply_transition, log_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(persona, branch_a):
    return {
        "dispatcher": persona(Role.DISPATCHER),
        "technician": persona(Role.TECHNICIAN),
        "supervisor": persona(Role.SUPERVISOR),
        "manager": persona(Role.MANAGER),
    }


def call(team, branch, *, category="body", zone="city", distance="20", channel="phone", priority="normal"):
    vehicle = category in ("body", "chassis_engine")
    unit = UnitFactory(
        owner__branch=branch,
        owner__service_zone=zone,
        owner__distance_km=Decimal(distance),
        product_model__code="BUS-12M" if vehicle else "KFR-35GW",
        product_model__name="城市客车" if vehicle else "壁挂式空调",
        product_model__category="body" if vehicle else category,
    )
    details = CallDetails(
        fault_category=category, fault_description="车门异响", channel=channel, priority=priority
    )
    return log_call(user=team["dispatcher"], unit=unit, details=details)


def deadlines(ticket) -> dict[str, TicketDeadline]:
    return {d.milestone: d for d in TicketDeadline.objects.filter(ticket=ticket)}


def move(ticket, milestone: str, **times) -> None:
    TicketDeadline.objects.filter(ticket=ticket, milestone=milestone).update(**times)


class TestDeadlinesAtIntake:
    def test_a_body_fault_within_100_km_must_be_reached_within_24_hours(self, team, branch_a):
        before = timezone.now()
        ticket = call(team, branch_a, category="body", distance="99")
        rows = deadlines(ticket)
        assert set(rows) == {"arrival", "resolution"}
        assert (
            before + datetime.timedelta(hours=24)
            <= rows["arrival"].due_at
            <= timezone.now() + datetime.timedelta(hours=24)
        )
        assert rows["arrival"].policy.seed_reference == "§1-3.2.2"
        ticket.refresh_from_db()
        assert ticket.due_at == rows["arrival"].due_at and ticket.warn_at == rows["arrival"].warn_at

    def test_a_chassis_fault_needs_contact_within_12_hours(self, team, branch_a):
        rows = deadlines(call(team, branch_a, category="chassis_engine"))
        assert rows["contact"].target_hours == 12 and rows["contact"].basis == "clock"

    def test_a_city_appliance_call_is_counted_in_working_hours(self, team, branch_a):
        rows = deadlines(call(team, branch_a, category="appliance", zone="city"))
        assert (rows["arrival"].target_hours, rows["arrival"].basis) == (Decimal(6), "working")

    def test_with_no_policy_at_all_the_ticket_still_gets_the_default_due_time(self, team, branch_a, settings):
        SlaPolicy.objects.update(is_active=False)
        settings.TICKET_DEFAULT_DUE_HOURS = 48
        ticket = call(team, branch_a)
        assert not deadlines(ticket)
        assert ticket.due_at - ticket.reported_at == datetime.timedelta(hours=48)

    def test_of_two_policies_with_the_same_order_the_older_one_sets_the_deadline(self, team, branch_a):
        older = SlaPolicy.objects.create(name="甲", order=5, fault_category="body", arrival_hours=Decimal(2))
        newer = SlaPolicy.objects.create(name="乙", order=5, fault_category="body", arrival_hours=Decimal(4))
        assert older.pk < newer.pk
        rows = deadlines(call(team, branch_a, category="body"))
        assert (rows["arrival"].policy, rows["arrival"].target_hours) == (older, Decimal(2))
        older.is_active = False
        older.save()
        rows = deadlines(call(team, branch_a, category="body"))
        assert (rows["arrival"].policy, rows["arrival"].target_hours) == (newer, Decimal(4))

    def test_an_urgent_call_reaches_the_supervisors_at_once(self, team, branch_a):
        ticket = call(team, branch_a, priority="urgent")
        assert Notification.objects.get(recipient=team["supervisor"]).subject.startswith(
            f"新报修 {ticket.number}"
        )
        call(team, branch_a, category="appliance")
        assert Notification.objects.filter(recipient=team["supervisor"]).count() == 1


class TestMilestones:
    def test_check_in_meets_contact_and_arrival_and_records_whether_in_time(self, team, branch_a):
        ticket = call(team, branch_a, category="chassis_engine")
        apply_transition(
            ticket_id=ticket.pk,
            user=team["dispatcher"],
            name="dispatch",
            expected_version=None,
            technician=team["technician"],
        )
        move(
            ticket,
            "contact",
            due_at=timezone.now() - datetime.timedelta(minutes=1),
            warn_at=timezone.now() - datetime.timedelta(hours=1),
        )
        apply_transition(ticket_id=ticket.pk, user=team["technician"], name="check_in", expected_version=None)
        rows = deadlines(ticket)
        assert rows["contact"].met_at is not None and rows["contact"].in_time is False
        assert rows["contact"].active is False
        ticket.refresh_from_db()
        assert ticket.due_at == rows["resolution"].due_at  # the next deadline moves up

    def test_a_recorded_contact_in_time(self, team, branch_a, client):
        ticket = call(team, branch_a, category="chassis_engine")
        client.force_login(team["dispatcher"])
        response = client.post(
            reverse("tickets:record_contact", args=[ticket.pk]), {"note": "已书面回复客户"}, follow=True
        )
        assert "已记录客户联系" in response.content.decode()
        assert deadlines(ticket)["contact"].in_time is True
        assert ticket.events.filter(action="contact", note="已书面回复客户").exists()

    def test_the_tickets_page_marks_a_passed_deadline_overdue_while_its_clock_runs(
        self, team, branch_a, client
    ):
        """Found in a walk-through: the header said 超期 while the deadlines' card marked nothing."""
        ticket = call(team, branch_a, category="chassis_engine")
        hours = datetime.timedelta(hours=1)
        now = timezone.now()
        move(ticket, "contact", started_at=now - 6 * hours, warn_at=now - 4 * hours, due_at=now - 2 * hours)
        client.force_login(team["dispatcher"])

        def overdue() -> list[str]:
            page = client.get(ticket.get_absolute_url()).content.decode()
            return re.findall(r'data-testid="deadline-(\w+)">(?:(?!</li>).)*deadline-overdue', page, re.S)

        assert overdue() == ["contact"]
        client.post(reverse("tickets:pause_clock", args=[ticket.pk]), {"reason": "parts"})
        assert overdue() == []  # the clock stands still: nothing runs late
        client.post(reverse("tickets:resume_clock", args=[ticket.pk]))
        client.post(reverse("tickets:record_contact", args=[ticket.pk]), {"note": "已电话联系"})
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert overdue() == [] and "超时" in page  # met late: 超时, no longer overdue

    def test_acceptance_meets_resolution_and_cancel_stops_every_clock(self, team, branch_a):
        ticket = call(team, branch_a)
        apply_transition(
            ticket_id=ticket.pk,
            user=team["dispatcher"],
            name="cancel",
            expected_version=None,
            note="客户取消",
        )
        assert not TicketDeadline.objects.filter(ticket=ticket, active=True).exists()
        assert sla_services.sweep(timezone.now() + datetime.timedelta(days=30)) == {3: 0, 2: 0, 1: 0}

    def test_reopen_starts_new_clocks(self, team, branch_a):
        ticket = call(team, branch_a)
        TicketDeadline.objects.filter(ticket=ticket).update(met_at=timezone.now(), in_time=True, active=False)
        RepairTicket.objects.filter(pk=ticket.pk).update(state=State.ACCEPTED, technician=team["technician"])
        apply_transition(
            ticket_id=ticket.pk,
            user=team["dispatcher"],
            name="reopen",
            expected_version=None,
            note="同一故障再次出现",
        )
        assert all(d.met_at is None and d.active for d in deadlines(ticket).values())

    def test_a_change_of_the_customers_zone_recomputes_the_open_deadlines(self, team, branch_a):
        ticket = call(team, branch_a, category="appliance", zone="city")
        customer = ticket.customer
        customer.service_zone = "suburb"
        save_customer(customer, changed_fields=["service_zone"])
        assert deadlines(ticket)["arrival"].target_hours == 7
        customer.service_zone = "remote"
        save_customer(customer, changed_fields=["service_zone"])
        assert deadlines(ticket)["arrival"].target_hours == 16

    def test_a_milestone_no_policy_sets_any_more_is_dropped(self, team, branch_a):
        ticket = call(team, branch_a, category="body", distance="20")  # arrival in 24 h (§1-3.2.2)
        customer = ticket.customer
        customer.distance_km = Decimal("150")  # beyond 100 km: an answer in 12 h, no arrival promise
        save_customer(customer, changed_fields=["distance_km"])
        assert "arrival" not in deadlines(ticket) and deadlines(ticket)["contact"].target_hours == 12

    def test_an_edit_that_leaves_zone_and_distance_alone_leaves_the_deadlines(self, team, branch_a):
        ticket = call(team, branch_a, category="appliance", zone="city")
        before = deadlines(ticket)["arrival"].due_at
        customer = ticket.customer
        customer.notes = "老客户"
        save_customer(customer, changed_fields=["notes"])
        assert deadlines(ticket)["arrival"].due_at == before

    def test_the_admin_change_form_recomputes_the_deadlines(self, team, branch_a, client, django_user_model):
        ticket = call(team, branch_a, category="appliance", zone="city")
        client.force_login(django_user_model.objects.create_superuser("root", "root@example.cn", "pw-1"))
        url = reverse("admin:customers_customer_change", args=[ticket.customer_id])
        form = client.get(url).context["adminform"].form
        data = {name: value for name, value in form.initial.items() if value is not None}
        data.update(
            {
                "branch": ticket.customer.branch_id,
                "service_zone": "suburb",
                "phones-TOTAL_FORMS": "0",
                "phones-INITIAL_FORMS": "0",
            }
        )
        response = client.post(url, data)
        assert response.status_code == 302, (
            response.context["adminform"].form.errors if response.context else ""
        )
        assert deadlines(ticket)["arrival"].target_hours == 7


class TestPause:
    def test_a_paused_clock_is_grey_sends_nothing_and_resumes_with_the_hours_left(
        self, team, branch_a, client
    ):
        ticket = call(team, branch_a, category="body", distance="10")
        client.force_login(team["dispatcher"])
        client.post(reverse("tickets:pause_clock", args=[ticket.pk]), {"reason": "parts", "note": "等压缩机"})
        ticket.refresh_from_db()
        assert ticket.clock_paused
        pause = ClockPause.objects.get(ticket=ticket)
        assert (pause.reason, pause.paused_by) == ("parts", team["dispatcher"])
        page = client.get(reverse("tickets:list") + "?state=open").content.decode()
        assert "due-paused" in page and "计时暂停" in page
        assert sla_services.sweep(timezone.now() + datetime.timedelta(days=30)) == {3: 0, 2: 0, 1: 0}
        TicketDeadline.objects.filter(ticket=ticket, milestone="arrival").update(remaining_hours=Decimal("2"))
        client.post(reverse("tickets:resume_clock", args=[ticket.pk]))
        arrival = deadlines(ticket)["arrival"]
        expected = timezone.now() + datetime.timedelta(hours=2)
        assert abs((arrival.due_at - expected).total_seconds()) < 5 and arrival.active
        assert ClockPause.objects.get(ticket=ticket).resumed_by == team["dispatcher"]
        assert [e.action for e in ticket.events.order_by("at", "pk")][-2:] == ["pause_clock", "resume_clock"]

    def test_a_clock_paused_after_the_breach_resumes_as_late_and_still_escalates_on_time(
        self, team, branch_a, client, monkeypatch
    ):
        ticket = call(team, branch_a, category="body", distance="10")  # arrival in 24 clock hours
        now = timezone.now()
        hours = datetime.timedelta(hours=1)
        move(ticket, "arrival", warn_at=now - 5 * hours, due_at=now - 3 * hours, escalate_at=now + 5 * hours)
        assert sla_services.sweep(now)[AlertLevel.BREACH] == 1
        client.force_login(team["dispatcher"])
        client.post(reverse("tickets:pause_clock", args=[ticket.pk]), {"reason": "customer"})
        assert deadlines(ticket)["arrival"].remaining_hours == Decimal("-3.00")

        resumed_at = now + datetime.timedelta(days=2)
        monkeypatch.setattr(timezone, "now", lambda: resumed_at)
        client.post(reverse("tickets:resume_clock", args=[ticket.pk]))
        arrival = deadlines(ticket)["arrival"]
        # Still 3 hours late, and the escalation 5 hours away as when the clock stopped.
        assert abs(arrival.due_at - (resumed_at - 3 * hours)) < datetime.timedelta(seconds=5)
        assert abs(arrival.escalate_at - (resumed_at + 5 * hours)) < datetime.timedelta(seconds=5)
        assert (arrival.active, arrival.alert_level) == (True, AlertLevel.BREACH)
        assert "超期 3 小时" in client.get(reverse("tickets:list") + "?state=open").content.decode()
        assert sla_services.sweep(resumed_at + 4 * hours) == {3: 0, 2: 0, 1: 0}  # no second breach
        assert sla_services.sweep(resumed_at + 5 * hours + datetime.timedelta(minutes=1))[3] == 1

    def test_pausing_twice_and_resuming_a_running_clock_are_refused(self, team, branch_a):
        ticket = call(team, branch_a)
        with pytest.raises(UserError, match="没有暂停"):
            sla_services.resume_clock(ticket_id=ticket.pk, user=team["dispatcher"])
        sla_services.pause_clock(ticket_id=ticket.pk, user=team["dispatcher"], reason="customer")
        with pytest.raises(UserError, match="已经暂停"):
            sla_services.pause_clock(ticket_id=ticket.pk, user=team["dispatcher"], reason="customer")

    def test_another_technician_may_not_pause(self, team, branch_a, persona, client):
        ticket = call(team, branch_a)
        client.force_login(persona(Role.TECHNICIAN, username="other_tech"))
        response = client.post(reverse("tickets:pause_clock", args=[ticket.pk]), {"reason": "parts"})
        assert response.status_code == 404  # not their job: the ticket does not exist for them


class TestSweep:
    def test_warning_then_breach_then_escalation_each_once_to_the_right_people(self, team, branch_a):
        ticket = call(team, branch_a, category="body", distance="10")
        apply_transition(
            ticket_id=ticket.pk,
            user=team["dispatcher"],
            name="dispatch",
            expected_version=None,
            technician=team["technician"],
        )
        arrival = deadlines(ticket)["arrival"]
        now = arrival.warn_at + datetime.timedelta(seconds=1)
        assert sla_services.sweep(now)[AlertLevel.WARNING] == 1
        assert sla_services.sweep(now)[AlertLevel.WARNING] == 0
        assert list(
            Notification.objects.filter(kind="sla").values_list("recipient__username", flat=True)
        ) == [team["technician"].username]
        sla_services.sweep(arrival.due_at)
        breach = Notification.objects.filter(kind="sla", subject__startswith="已超时")
        assert sorted(breach.values_list("recipient__username", flat=True)) == sorted(
            [team["technician"].username, team["supervisor"].username]
        )
        sla_services.sweep(arrival.escalate_at)
        sla_services.sweep(arrival.escalate_at)
        escalation = Notification.objects.filter(kind="sla", subject__startswith="超时升级")
        assert list(escalation.values_list("recipient__username", flat=True)) == [team["manager"].username]
        assert SlaAlert.objects.filter(deadline=arrival).count() == 3

    def test_a_sweep_that_was_down_sends_only_the_highest_level_reached(self, team, branch_a):
        ticket = call(team, branch_a, category="body", distance="10")
        arrival = deadlines(ticket)["arrival"]
        sent = sla_services.sweep(arrival.due_at + datetime.timedelta(minutes=5))
        assert sent == {AlertLevel.ESCALATION: 0, AlertLevel.BREACH: 1, AlertLevel.WARNING: 0}
        # nobody assigned yet: the breach goes to the branch's dispatchers and supervisors
        assert sorted(
            Notification.objects.filter(kind="sla").values_list("recipient__username", flat=True)
        ) == sorted([team["dispatcher"].username, team["supervisor"].username])

    def test_the_alert_row_is_unique_even_if_the_level_was_reset_by_hand(self, team, branch_a):
        ticket = call(team, branch_a, category="body", distance="10")
        arrival = deadlines(ticket)["arrival"]
        sla_services.sweep(arrival.due_at)
        TicketDeadline.objects.filter(pk=arrival.pk).update(alert_level=0)
        before = Notification.objects.count()
        sla_services.sweep(arrival.due_at)
        assert SlaAlert.objects.filter(deadline=arrival, level=AlertLevel.BREACH).count() == 1
        assert Notification.objects.count() == before  # keyed messages: nobody is told twice


class TestDigest:
    def test_a_mass_breach_reaches_each_person_as_one_counted_message(self, team, branch_a, settings):
        settings.SLA_DIGEST_AFTER = 3
        tickets = [call(team, branch_a, category="body", distance="10") for _ in range(5)]
        for ticket in tickets:
            apply_transition(
                ticket_id=ticket.pk,
                user=team["dispatcher"],
                name="dispatch",
                expected_version=None,
                technician=team["technician"],
            )
        latest = max(deadlines(ticket)["arrival"].due_at for ticket in tickets)
        assert sla_services.sweep(latest)[AlertLevel.BREACH] == 5
        technician_messages = Notification.objects.filter(recipient=team["technician"], kind="sla")
        assert technician_messages.count() == 1
        digest = technician_messages.get()
        assert digest.subject.startswith("超时:5 张工单") and tickets[0].number in digest.subject
        assert digest.link == reverse("tickets:list") + "?state=open&overdue=on"
        assert all(ticket.number in digest.body for ticket in tickets)
        assert SlaAlert.objects.filter(level=AlertLevel.BREACH).count() == 5
