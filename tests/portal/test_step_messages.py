"""Messages at every step (issue #17 item 5): the customer is texted on 受理, 派工 (technician and window),
在途 (ETA), completion (voucher), pickup and late repair, each SMS in Chinese with a single-use link that
signs them in to that ticket; stored in the step's transaction and sent by the outbox after the commit,
once per step, and never to a customer without a mobile number."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Role
from notifications.models import Delivery, Notification
from notifications.tasks import retry_deliveries
from portal.models import TicketLink
from tests.customers.factories import CustomerFactory, UnitFactory
from tests.portal.conftest import PHONE
from tests.tickets.factories import TicketFactory
from tickets.return_services import send_pickup_notice
from tickets.services import CallDetails, apply_transition, log_call

pytestmark = pytest.mark.django_db

LINK = re.compile(r"^" + re.escape(settings.SITE_URL.rstrip("/")) + r"(/p/l/[\w-]+/)$", re.MULTILINE)


def texts_to(sms, phone: str = PHONE) -> list[str]:
    """Send what the outbox holds (as the worker's sweep does) and return the texts to the phone."""
    retry_deliveries.run()
    return [text for to, text in sms if to == phone]


def opens_ticket(text: str, ticket) -> bool:
    """The link in the SMS signs a fresh phone in to the ticket's page, once."""
    path = LINK.search(text).group(1)
    phone = Client()
    response = phone.post(path)
    assert response.status_code == 302 and response.url == f"/p/t/{ticket.pk}/"
    assert ticket.number in phone.get(response.url).content.decode()
    return Client().post(path).status_code == 410  # single-use


def call_details(window=None) -> CallDetails:
    return CallDetails(fault_category="", fault_description="空调不制冷", appointment=window)


def test_each_step_texts_the_customer_a_link_into_the_ticket(
    sms, customer, persona, django_capture_on_commit_callbacks
):
    dispatcher = persona(Role.DISPATCHER)
    technician = persona(Role.TECHNICIAN)
    technician.first_name, technician.last_name = "师傅", "张"
    technician.save()
    unit = UnitFactory(owner=customer)
    start = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    end = start + datetime.timedelta(hours=3)

    # 受理: stored with the call, sent only once the call is committed.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = log_call(user=dispatcher, unit=unit, details=call_details((start, end)))
    assert callbacks and sms == []
    assert Delivery.objects.filter(notification__kind="ticket_logged", status="pending").exists()
    [logged] = texts_to(sms)
    assert f"您的报修已受理(工单 {ticket.number}" in logged
    assert opens_ticket(logged, ticket)

    # 派工, through the dispatcher's page: the technician's name and the agreed window.
    desk = Client()
    desk.force_login(dispatcher)
    response = desk.post(
        f"/tickets/{ticket.pk}/do/dispatch/", {"version": ticket.version, "technician": technician.pk}
    )
    assert response.status_code == 302
    dispatched = texts_to(sms)[-1]
    assert "技术员 张师傅" in dispatched and f"{start:%m-%d %H:%M}-{end:%H:%M}" in dispatched
    assert opens_ticket(dispatched, ticket)

    # 在途, from the technician's phone: the expected arrival time.
    ticket.refresh_from_db()
    field = Client()
    field.force_login(technician)
    response = field.post(f"/tickets/{ticket.pk}/depart/", {"version": ticket.version, "eta_minutes": 30})
    assert response.status_code == 302
    eta = timezone.localtime(timezone.now() + datetime.timedelta(minutes=30))
    on_the_way = texts_to(sms)[-1]
    assert "已出发" in on_the_way and f"预计 {eta:%H:%M}" in on_the_way
    assert opens_ticket(on_the_way, ticket)
    assert len(texts_to(sms)) == 3  # nothing sent twice


def test_a_completed_visit_texts_the_link_to_its_voucher(sms, customer, persona):
    ticket = TicketFactory(unit=UnitFactory(owner=customer), on_site=True, signed_report=True)
    apply_transition(
        ticket_id=ticket.pk,
        user=ticket.technician,
        name="complete_visit",
        expected_version=ticket.version,
        note="更换电容",
    )
    [done] = texts_to(sms)
    assert "已处理完成" in done and "服务凭证" in done
    path = LINK.search(done).group(1)
    phone = Client()
    page = phone.get(phone.post(path, follow=True).redirect_chain[-1][0]).content.decode()
    assert 'data-testid="portal-voucher"' in page


def test_a_reassignment_names_the_new_technician_and_a_repeat_is_texted_once(sms, customer, persona):
    ticket = TicketFactory(unit=UnitFactory(owner=customer))
    first, second = persona(Role.TECHNICIAN), persona(Role.TECHNICIAN, username="tech2")
    second.first_name = "李四"
    second.save()
    dispatcher = persona(Role.DISPATCHER)
    for technician in (first, second):
        ticket.refresh_from_db()
        apply_transition(
            ticket_id=ticket.pk,
            user=dispatcher,
            name="dispatch",
            expected_version=ticket.version,
            technician=technician,
        )
    texts = texts_to(sms)
    assert len(texts) == 2 and "李四" in texts[-1] and "约定上门时间" in texts[-1]

    # The pickup sweep run twice (a retried task, two workers): one SMS, one link.
    links = TicketLink.objects.count()
    send_pickup_notice(ticket, 1)
    send_pickup_notice(ticket, 1)
    assert TicketLink.objects.count() == links + 1
    pickup = texts_to(sms)[2:]
    assert len(pickup) == 1 and "取件" in pickup[0] and LINK.search(pickup[0])


def test_the_text_is_chinese_whatever_the_desks_language(sms, customer, persona):
    with translation.override("en"):
        ticket = log_call(
            user=persona(Role.DISPATCHER), unit=UnitFactory(owner=customer), details=call_details()
        )
    notification = Notification.objects.get(kind="ticket_logged")
    assert notification.subject.startswith(f"【{settings.COMPANY_NAME}】您的报修已受理")
    [text] = texts_to(sms)
    assert "您的报修已受理" in text and ticket.number in text


def test_a_customer_without_a_mobile_gets_no_sms_and_no_link(sms, branch_a, persona):
    landline = CustomerFactory(branch=branch_a, phone__number="02161234567")
    ticket = log_call(user=persona(Role.DISPATCHER), unit=UnitFactory(owner=landline), details=call_details())
    assert ticket.number
    assert not Notification.objects.filter(customer=landline).exists()
    assert not TicketLink.objects.filter(ticket=ticket).exists()
    assert texts_to(sms, "02161234567") == []
