"""Taking back an accidental 验收 or 取消 (issue #16): a supervisor, the same day, with a reason and a
history row; the clocks and follow-up calls follow; the next day it is refused with a clear sentence."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from aftersales.errors import UserError
from surveys.models import FollowUpCall, Outcome, Survey
from tests.tickets.factories import TicketFactory
from tickets import sla_services
from tickets.models import State, TicketEvent
from tickets.services import apply_transition
from tickets.undo import within_the_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


class TestWithinTheDay:
    def test_the_local_day_counts_not_the_utc_one(self):
        late_evening = datetime.datetime(2026, 12, 4, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
        after_midnight = datetime.datetime(2026, 12, 4, 16, 10, tzinfo=UTC)  # 00:10 the next day
        assert not within_the_day(late_evening, after_midnight, SHANGHAI)
        early_morning = datetime.datetime(2026, 12, 4, 16, 10, tzinfo=UTC)  # 00:10 on the 5th
        same_evening = datetime.datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # 23:00 on the 5th
        assert within_the_day(early_morning, same_evening, SHANGHAI)

    def test_nothing_done_or_done_in_the_future_is_not_undoable(self):
        now = datetime.datetime(2026, 12, 4, 4, 0, tzinfo=UTC)
        assert not within_the_day(None, now, SHANGHAI)
        assert not within_the_day(now + datetime.timedelta(minutes=1), now, SHANGHAI)

    @given(
        # Hypothesis takes naive bounds and attaches the zone itself.
        done_at=st.datetimes(
            min_value=datetime.datetime(2000, 1, 1),  # noqa: DTZ001
            max_value=datetime.datetime(2100, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
        later=st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=3)),
    )
    def test_undoable_exactly_until_local_midnight(self, done_at, later):
        local = done_at.astimezone(SHANGHAI)
        midnight = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1), datetime.time(), SHANGHAI
        )
        assert within_the_day(done_at, done_at + later, SHANGHAI) == (done_at + later < midnight)


@pytest.fixture
def accepted(branch_a, supervisor):
    ticket = TicketFactory(awaiting_acceptance=True, unit__owner__branch=branch_a)
    sla_services.set_deadlines(ticket, ticket.reported_at)
    return apply_transition(ticket_id=ticket.pk, user=supervisor, name="accept", expected_version=None)


@pytest.mark.django_db
class TestUndoAccept:
    def test_a_supervisor_takes_back_todays_acceptance(self, accepted, supervisor):
        assert FollowUpCall.objects.filter(ticket=accepted, outcome=Outcome.PENDING).exists()
        ticket = apply_transition(
            ticket_id=accepted.pk,
            user=supervisor,
            name="undo_accept",
            expected_version=accepted.version,
            note="点错了,报告缺签字页",
        )
        assert ticket.state == State.AWAITING_ACCEPTANCE and ticket.accepted_at is None
        event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
        assert (event.action, event.actor, event.from_state, event.to_state, event.note) == (
            "undo_accept",
            supervisor,
            State.ACCEPTED,
            State.AWAITING_ACCEPTANCE,
            "点错了,报告缺签字页",
        )
        # No call is made and no link answers for an acceptance that did not stand.
        assert not FollowUpCall.objects.filter(ticket=ticket, outcome=Outcome.PENDING).exists()
        assert Survey.objects.get(ticket=ticket).token_hash is None
        # The resolution is due again and its alerts run.
        resolution = ticket.deadlines.get(milestone="resolution")
        assert resolution.met_at is None and resolution.in_time is None and resolution.active
        ticket.refresh_from_db()
        assert ticket.due_at == min(d.due_at for d in ticket.deadlines.filter(met_at__isnull=True))

    def test_accepting_again_schedules_the_calls_again(self, accepted, supervisor):
        apply_transition(
            ticket_id=accepted.pk, user=supervisor, name="undo_accept", expected_version=None, note="误点"
        )
        apply_transition(ticket_id=accepted.pk, user=supervisor, name="accept", expected_version=None)
        assert FollowUpCall.objects.filter(ticket=accepted, outcome=Outcome.PENDING).exists()
        assert Survey.objects.get(ticket=accepted).token_hash

    def test_yesterdays_acceptance_stays(self, accepted, supervisor):
        type(accepted).objects.filter(pk=accepted.pk).update(
            accepted_at=timezone.now() - datetime.timedelta(days=1)
        )
        with pytest.raises(UserError, match="只能撤销当天的验收"):
            apply_transition(
                ticket_id=accepted.pk, user=supervisor, name="undo_accept", expected_version=None, note="误点"
            )
        accepted.refresh_from_db()
        assert accepted.state == State.ACCEPTED

    def test_only_a_supervisor_of_the_branch_and_with_a_reason(
        self, accepted, supervisor, dispatcher, persona, branch_b
    ):
        for outsider in (dispatcher, accepted.technician, persona("supervisor", branch=branch_b)):
            with pytest.raises(PermissionDenied):
                apply_transition(
                    ticket_id=accepted.pk,
                    user=outsider,
                    name="undo_accept",
                    expected_version=None,
                    note="误点",
                )
        with pytest.raises(UserError, match="请填写原因"):
            apply_transition(
                ticket_id=accepted.pk, user=supervisor, name="undo_accept", expected_version=None, note=" "
            )


@pytest.mark.django_db
class TestUndoCancel:
    def test_the_ticket_goes_back_where_it_was_cancelled_from(self, branch_a, dispatcher, supervisor):
        ticket = TicketFactory(dispatched=True, unit__owner__branch=branch_a)
        sla_services.set_deadlines(ticket, ticket.reported_at)
        apply_transition(
            ticket_id=ticket.pk, user=dispatcher, name="cancel", expected_version=None, note="重复报修"
        )
        assert not ticket.deadlines.filter(active=True).exists()
        restored = apply_transition(
            ticket_id=ticket.pk, user=supervisor, name="undo_cancel", expected_version=None, note="不是重复单"
        )
        assert restored.state == State.DISPATCHED and restored.technician == ticket.technician
        assert restored.closed_at is None
        assert ticket.deadlines.filter(active=True).exists()
        assert list(TicketEvent.objects.filter(ticket=ticket).values_list("action", "to_state")) == [
            ("cancel", State.CANCELLED),
            ("undo_cancel", State.DISPATCHED),
        ]

    def test_a_cancellation_of_an_earlier_day_stays(self, branch_a, dispatcher, supervisor):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        apply_transition(
            ticket_id=ticket.pk, user=dispatcher, name="cancel", expected_version=None, note="重复报修"
        )
        type(ticket).objects.filter(pk=ticket.pk).update(
            closed_at=timezone.now() - datetime.timedelta(days=2)
        )
        with pytest.raises(UserError, match="只能撤销当天的取消"):
            apply_transition(
                ticket_id=ticket.pk, user=supervisor, name="undo_cancel", expected_version=None, note="误点"
            )


@pytest.mark.django_db
class TestTicketPage:
    def _bar_and_rest(self, client, ticket) -> tuple[str, str]:
        page = client.get(ticket.get_absolute_url()).content.decode()
        bar_start = page.index('data-testid="next-action-bar"')
        bar_end = page.index("</section>", bar_start)
        return page[bar_start:bar_end], page[bar_end:]

    def test_the_dispatcher_sees_dispatch_with_the_picker_first_and_cancel_below(
        self, client, branch_a, dispatcher, technician
    ):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        bar, rest = self._bar_and_rest(client, ticket)
        assert 'data-action="dispatch"' in bar and 'name="technician"' in bar and str(technician) in bar
        assert "已报修" in bar and "期限" in bar
        assert 'data-action="cancel"' not in bar and 'data-action="cancel"' in rest
        assert "确定取消该工单" in rest

    def test_the_supervisor_accepts_from_the_bar_after_a_confirmation_and_can_take_it_back(
        self, client, branch_a, supervisor
    ):
        ticket = TicketFactory(awaiting_acceptance=True, unit__owner__branch=branch_a)
        client.force_login(supervisor)
        bar, _rest = self._bar_and_rest(client, ticket)
        assert 'data-action="accept"' in bar and "data-confirm=" in bar and "确定验收" in bar
        client.post(
            reverse("tickets:transition", args=[ticket.pk, "accept"]), {"version": ticket.version, "note": ""}
        )
        ticket.refresh_from_db()
        bar, rest = self._bar_and_rest(client, ticket)
        assert 'data-action="undo_accept"' in rest and "确定撤销验收" in rest
        response = client.post(
            reverse("tickets:transition", args=[ticket.pk, "undo_accept"]),
            {"version": ticket.version, "note": "误点了验收"},
            follow=True,
        )
        page = response.content.decode()
        assert "“撤销验收”已完成" in page and "误点了验收" in page
        ticket.refresh_from_db()
        assert ticket.state == State.AWAITING_ACCEPTANCE

    def test_the_dispatcher_of_an_accepted_ticket_is_led_to_the_follow_up_call(
        self, client, accepted, dispatcher
    ):
        client.force_login(dispatcher)
        bar, _rest = self._bar_and_rest(client, accepted)
        call = FollowUpCall.objects.filter(ticket=accepted).order_by("due_on").first()
        assert 'data-testid="record-follow-up"' in bar and call.get_absolute_url() in bar

    def test_a_role_with_nothing_to_do_is_told_so(self, client, branch_a, persona):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(persona("finance"))
        bar, rest = self._bar_and_rest(client, ticket)
        assert "当前没有等您处理的操作" in bar and "data-action=" not in bar + rest
