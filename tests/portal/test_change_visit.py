"""Follow the repair, the customer's own moves (issue #17, item 4): move or cancel the visit before
dispatch, see a quoted fee, the pickup receipt of a factory repair, and raise a complaint that enters the
complaints workflow with its 72-hour clock. What the customer did shows on the desk's ticket history."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import lxml.html
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.calendars import calendar_for_branch
from notifications.models import Notification
from portal.windows import visit_windows
from surveys.models import Complaint, ComplaintSource, ComplaintState
from tests.customers.factories import UnitFactory
from tests.portal.conftest import PHONE, sign_in
from tests.surveys.factories import accepted_ticket
from tests.tickets.factories import TicketFactory
from tickets.choices import AppointmentRequester
from tickets.models import RepairTicket, State, TicketEvent
from tickets.return_services import FactoryRepair, GoodsIn, approve_return, finish_factory_repair
from tickets.services import CallDetails, apply_transition, log_self_reported_call

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(lxml.html.fromstring(response.content.decode()).text_content().split())


@pytest.fixture
def reported(customer):
    now = timezone.now()
    return log_self_reported_call(
        unit_id=UnitFactory(owner=customer).pk,
        details=CallDetails(fault_category="", fault_description="不制冷"),
        visit_window=(now + datetime.timedelta(hours=3), now + datetime.timedelta(hours=6)),
        photos=[],
    )


def a_window(ticket, index: int = 2):
    return visit_windows(calendar_for_branch(ticket.branch), timezone.now())[index]


def test_the_customer_moves_the_visit_before_dispatch_and_the_history_says_so(
    client, sms, customer, reported, dispatcher
):
    sign_in(client, sms)
    page = client.get(f"/p/t/{reported.pk}/")
    assert "改约时间" in text(page) and "取消报修" in text(page)
    form = client.get(f"/p/t/{reported.pk}/reschedule/")
    window = a_window(reported)
    assert window.value in form.content.decode()
    key = str(uuid.uuid4())
    answer = client.post(
        f"/p/t/{reported.pk}/reschedule/", {"window": window.value, "idempotency_key": key}, follow=True
    )
    assert "上门时间已改为" in text(answer)
    # A double tap sends the same key: one write.
    client.post(f"/p/t/{reported.pk}/reschedule/", {"window": window.value, "idempotency_key": key})
    reported.refresh_from_db()
    assert reported.appointment == (window.start, window.end)
    moves = TicketEvent.objects.filter(ticket=reported, action="set_appointment").order_by("pk")
    assert moves.count() == 2  # the report's window, then the customer's move
    move = moves.last()
    assert move.actor is None and move.data["by"] == "customer"
    assert move.data["requested_by"] == AppointmentRequester.CUSTOMER

    client.force_login(dispatcher)
    history = text(client.get(reported.get_absolute_url()))
    assert "客户本人" in history and "客户在自助服务中改约。" in history


def test_cancel_asks_for_confirmation_and_a_reason_then_is_done_once(client, sms, customer, reported):
    sign_in(client, sms)
    confirm = client.get(f"/p/t/{reported.pk}/cancel/")
    assert "不能在网上恢复" in text(confirm) and "确认取消报修" in text(confirm)
    refused = client.post(f"/p/t/{reported.pk}/cancel/", {})
    assert "请选择取消原因。" in text(refused)
    assert RepairTicket.objects.get(pk=reported.pk).state == State.REPORTED

    key = str(uuid.uuid4())
    answer = client.post(
        f"/p/t/{reported.pk}/cancel/",
        {"reason": "fixed", "detail": "重启后好了", "idempotency_key": key},
        follow=True,
    )
    assert "报修已取消" in text(answer)
    client.post(f"/p/t/{reported.pk}/cancel/", {"reason": "fixed", "idempotency_key": key})
    reported.refresh_from_db()
    assert reported.state == State.CANCELLED
    cancel = TicketEvent.objects.get(ticket=reported, action="cancel")
    assert cancel.actor is None and cancel.data["by"] == "customer"
    assert cancel.note == "客户在自助服务中取消报修:故障已自行排除(重启后好了)"
    page = client.get(f"/p/t/{reported.pk}/")
    assert "改约时间" not in text(page)
    assert "您预约的上门时间" not in text(page)  # no visit is booked any more
    assert [li.get("data-step") for li in lxml.html.fromstring(page.content).xpath("//ol/li")] == [
        "accepted",
        "cancelled",
    ]


def test_once_dispatched_both_are_refused_with_a_clear_message(
    client, sms, customer, reported, dispatcher, technician
):
    sign_in(client, sms)
    window = a_window(reported)
    apply_transition(
        ticket_id=reported.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=reported.version,
        technician=technician,
    )
    page = text(client.get(f"/p/t/{reported.pk}/"))
    assert "改约时间" not in page and "如需改约或取消,请致电服务中心" in page
    # A page left open from before the dispatch.
    for path, data in (
        ("reschedule", {"window": window.value}),
        ("cancel", {"reason": "fixed"}),
    ):
        answer = client.post(f"/p/t/{reported.pk}/{path}/", data, follow=True)
        assert "技术员已派出,不能再在网上改约或取消" in text(answer)
    reported.refresh_from_db()
    assert reported.state == State.DISPATCHED
    assert reported.appointment != (window.start, window.end)


def test_another_customers_ticket_cannot_be_moved_cancelled_or_complained_about(
    client, sms, customer, others_ticket
):
    sign_in(client, sms)
    for path in ("reschedule", "cancel", "complaint"):
        assert client.get(f"/p/t/{others_ticket.pk}/{path}/").status_code == 404
        assert client.post(f"/p/t/{others_ticket.pk}/{path}/", {"reason": "fixed"}).status_code == 404
    assert RepairTicket.objects.get(pk=others_ticket.pk).state == State.REPORTED
    assert not Complaint.objects.exists()


def test_a_quoted_fee_shows_its_amount(client, sms, customer, own_ticket):
    RepairTicket.objects.filter(pk=own_ticket.pk).update(quoted_fee=Decimal("180.00"))
    sign_in(client, sms)
    page = text(client.get(f"/p/t/{own_ticket.pk}/"))
    assert "告知服务费:¥180.00 元" in page


def test_a_repaired_factory_item_shows_the_receipt_number_to_collect_it_with(
    client, sms, customer, supervisor
):
    ticket = TicketFactory(unit=UnitFactory(owner=customer), rma_requested=True)
    entry = approve_return(
        ticket_id=ticket.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn()
    )
    sign_in(client, sms)
    progress = lxml.html.fromstring(client.get(f"/p/t/{ticket.pk}/").content)
    pickup = progress.xpath('//li[@data-step="pickup"]')[0]
    assert pickup.get("data-done") == "0"  # still in the factory
    finish_factory_repair(
        ticket_id=ticket.pk,
        user=ticket.technician,
        expected_version=RepairTicket.objects.get(pk=ticket.pk).version,
        repair=FactoryRepair("更换主板", Decimal("2"), "主板", "合格", supervisor),
    )
    progress = lxml.html.fromstring(client.get(f"/p/t/{ticket.pk}/").content)
    pickup = progress.xpath('//li[@data-step="pickup"]')[0]
    assert pickup.get("data-done") == "1"
    assert f"取件单号:{entry.receipt.number}" in " ".join(pickup.text_content().split())


def test_a_complaint_enters_the_workflow_with_its_72_hour_clock(
    client, sms, customer, own_ticket, supervisor, dispatcher
):
    sign_in(client, sms)
    assert "投诉" in text(client.get(f"/p/t/{own_ticket.pk}/"))
    empty = client.post(f"/p/t/{own_ticket.pk}/complaint/", {"description": "  "})
    assert "请写下您遇到的问题。" in text(empty)
    key = str(uuid.uuid4())
    before = timezone.now()
    answer = client.post(
        f"/p/t/{own_ticket.pk}/complaint/",
        {"description": "技术员迟到两小时", "idempotency_key": key},
        follow=True,
    )
    client.post(
        f"/p/t/{own_ticket.pk}/complaint/", {"description": "技术员迟到两小时", "idempotency_key": key}
    )
    complaint = Complaint.objects.get()
    assert "投诉已受理" in text(answer) and complaint.number in text(answer)
    assert complaint.source == ComplaintSource.CHANNEL and complaint.state == ComplaintState.RECEIVED
    assert (complaint.ticket, complaint.customer, complaint.received_by) == (own_ticket, customer, None)
    assert complaint.contact_name == "王芳"
    assert datetime.timedelta(hours=72) <= complaint.plan_due_at - before < datetime.timedelta(hours=73)
    # The branch's complaint handlers are told; the ticket's history says the customer raised it.
    told = set(Notification.objects.filter(kind="complaint_channel").values_list("recipient", flat=True))
    assert {supervisor.pk, dispatcher.pk} <= told
    event = TicketEvent.objects.get(ticket=own_ticket, action="complaint")
    assert event.actor is None and event.data["by"] == "customer"

    # A second one while the first is handled is refused with its number.
    again = client.post(f"/p/t/{own_ticket.pk}/complaint/", {"description": "还是没人联系我"}, follow=True)
    assert f"您对这张工单的投诉(编号 {complaint.number})正在处理中" in text(again)
    assert Complaint.objects.count() == 1

    # The desk sees it in the complaints list and on its page, taken by the customer themselves.
    client.force_login(supervisor)
    assert complaint.number in text(client.get("/surveys/complaints/?state=open"))
    detail = text(client.get(complaint.get_absolute_url()))
    assert "客户自助投诉" in detail and "客户本人(自助)" in detail


def test_the_survey_answered_in_the_channel_is_on_the_tickets_history(client, sms, customer, supervisor):
    ticket = accepted_ticket(supervisor, phone=PHONE)
    sign_in(client, sms)
    client.post(
        f"/p/t/{ticket.pk}/survey/",
        {"attitude": "4", "skill": "4", "punctuality": "3", "promises": "4", "comment": ""},
    )
    event = TicketEvent.objects.get(ticket=ticket, action="survey_answered")
    assert event.actor is None and event.data["by"] == "customer"
    client.force_login(supervisor)
    assert "客户提交满意度评价" in text(client.get(ticket.get_absolute_url()))


def test_the_customer_path_runs_only_the_cancel(reported):
    with pytest.raises(PermissionDenied):
        apply_transition(ticket_id=reported.pk, user=None, name="dispatch", expected_version=None)
    assert RepairTicket.objects.get(pk=reported.pk).state == State.REPORTED


def test_an_english_reader_sees_the_pages_and_the_history_in_english(
    client, sms, customer, reported, dispatcher
):
    sign_in(client, sms)
    client.cookies["django_language"] = "en"
    page = text(client.get(f"/p/t/{reported.pk}/"))
    assert "Change the time" in page and "Cancel the call" in page
    assert "Yes, cancel the call" in text(client.get(f"/p/t/{reported.pk}/cancel/"))
    client.post(f"/p/t/{reported.pk}/cancel/", {"reason": "later"})
    # The record stays Chinese; an English reader of the history sees it in English.
    assert TicketEvent.objects.get(ticket=reported, action="cancel").note.startswith(
        "客户在自助服务中取消报修"
    )
    client.force_login(dispatcher)
    client.cookies["django_language"] = "en"
    history = text(client.get(reported.get_absolute_url()))
    assert (
        "The customer cancelled the call in self-service: Bad timing, I will report it again later" in history
    )
