"""The scheduled reminders: pickup notices every 3 days and a ship-back task after the third
(§5 第二十七、二十八条), late store repairs told before the promised time (§5 第二十六条), contract
expiry a month ahead (§7-二十), and yesterday's undispatched calls first on the board (§7-十八)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from notifications.models import Notification
from tests.tickets.factories import TicketFactory
from tickets.models import TicketDeadline, TicketEvent
from tickets.tasks import contract_expiry_notices, late_repair_notices, pickup_reminders
from warranty.models import MaintenanceContract

pytestmark = pytest.mark.django_db


def notices(ticket) -> list[int]:
    return [e.data["notice"] for e in ticket.events.filter(action="notify_pickup").order_by("at", "pk")]


def age_notices(ticket, days: float) -> None:
    ticket.events.filter(action="notify_pickup").update(at=timezone.now() - datetime.timedelta(days=days))


class TestPickupReminders:
    def test_again_after_3_days_three_notices_then_a_ship_back_task(self, persona, branch_a):
        dispatcher = persona(Role.DISPATCHER)
        ticket = TicketFactory(
            awaiting_pickup=True, unit__owner__branch=branch_a, unit__owner__phone__number="13800001111"
        )
        TicketEvent.objects.create(
            ticket=ticket, action="notify_pickup", to_state=ticket.state, data={"notice": 1}
        )
        age_notices(ticket, 2.9)
        assert pickup_reminders.run() == 0
        age_notices(ticket, 3)
        assert pickup_reminders.run() == 1
        assert pickup_reminders.run() == 0  # the second notice is recent now
        age_notices(ticket, 3)
        pickup_reminders.run()
        assert notices(ticket) == [1, 2, 3]
        sms = Notification.objects.filter(customer=ticket.customer).order_by("pk")
        assert [n.key for n in sms] == [f"pickup:{ticket.pk}:2", f"pickup:{ticket.pk}:3"]
        assert "第 3 次通知" in sms.last().subject and sms.last().phone == "13800001111"
        age_notices(ticket, 3)
        pickup_reminders.run()
        pickup_reminders.run()
        ship_back = Notification.objects.filter(kind="ship_back")
        assert list(ship_back.values_list("recipient", flat=True)) == [dispatcher.pk]
        assert "请寄回客户" in ship_back.get().subject and notices(ticket) == [1, 2, 3]


class TestLateRepair:
    def test_the_customer_and_supervisor_are_told_once_before_the_promised_time(self, persona, branch_a):
        supervisor = persona(Role.SUPERVISOR)
        ticket = TicketFactory(in_factory=True, unit__owner__branch=branch_a, channel="walk_in")
        now = timezone.now()
        TicketDeadline.objects.create(
            ticket=ticket,
            milestone="resolution",
            target_hours=168,
            basis="clock",
            started_at=now - datetime.timedelta(days=6),
            warn_at=now - datetime.timedelta(days=1),
            due_at=now + datetime.timedelta(hours=20),
            escalate_at=now + datetime.timedelta(days=1),
        )
        assert late_repair_notices.run() == 1
        assert late_repair_notices.run() == 0
        sms = Notification.objects.get(customer=ticket.customer)
        assert "无法在承诺的" in sms.subject
        assert Notification.objects.get(recipient=supervisor).kind == "late_repair"

    def test_a_repair_with_time_to_spare_is_not_reported_late(self, branch_a):
        ticket = TicketFactory(in_factory=True, unit__owner__branch=branch_a)
        now = timezone.now()
        TicketDeadline.objects.create(
            ticket=ticket,
            milestone="resolution",
            target_hours=168,
            basis="clock",
            started_at=now,
            warn_at=now + datetime.timedelta(days=5),
            due_at=now + datetime.timedelta(days=7),
            escalate_at=now + datetime.timedelta(days=8),
        )
        assert late_repair_notices.run() == 0


class TestContractExpiry:
    def test_a_month_ahead_once(self, persona, branch_a):
        dispatcher = persona(Role.DISPATCHER)
        ticket = TicketFactory(unit__owner__branch=branch_a)
        today = timezone.localdate()
        MaintenanceContract.objects.create(
            number="BY-1",
            customer=ticket.customer,
            start_date=today - datetime.timedelta(days=300),
            end_date=today + datetime.timedelta(days=30),
        )
        MaintenanceContract.objects.create(
            number="BY-2",
            customer=ticket.customer,
            start_date=today,
            end_date=today + datetime.timedelta(days=90),
        )
        assert contract_expiry_notices.run() == 1
        assert contract_expiry_notices.run() == 0
        assert "BY-1" in Notification.objects.get(recipient=dispatcher).subject


class TestBoardCarryOver:
    def test_yesterdays_undispatched_calls_come_first_whatever_their_deadline(
        self, client, dispatcher, branch_a
    ):
        today = TicketFactory(
            unit__owner__branch=branch_a, due_at=timezone.now() + datetime.timedelta(hours=1)
        )
        yesterday = TicketFactory(
            unit__owner__branch=branch_a,
            reported_at=timezone.now() - datetime.timedelta(days=1, hours=1),
            due_at=timezone.now() + datetime.timedelta(hours=5),
        )
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
        assert page.index(yesterday.number) < page.index(today.number)
        assert page.count('data-testid="carried-over"') == 1
