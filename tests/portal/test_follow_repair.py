"""Follow the repair (issue #17): the ticket's progress in the customer's words, the voucher PDF to
download, the survey answered on the page."""

from __future__ import annotations

import datetime

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from portal.timeline import TicketFacts, customer_steps
from surveys.models import AnsweredVia, Survey
from tests.customers.factories import UnitFactory
from tests.portal.conftest import PHONE, sign_in
from tests.surveys.factories import accepted_ticket
from tests.tickets.factories import TicketFactory
from tickets.services import CallDetails, apply_transition, depart, log_self_reported_call

pytestmark = pytest.mark.django_db

ALL_FOUR = {"attitude": "4", "skill": "4", "punctuality": "3", "promises": "4", "comment": "很满意"}


def steps(client, ticket) -> dict[str, tuple[bool, str]]:
    tree = lxml.html.fromstring(client.get(f"/p/t/{ticket.pk}/").content.decode())
    return {
        li.get("data-step"): (li.get("data-done") == "1", " ".join(li.text_content().split()))
        for li in tree.xpath('//*[@data-testid="portal-timeline"]/li')
    }


def test_the_customer_follows_dispatch_and_departure(client, sms, customer, persona):
    unit = UnitFactory(owner=customer)
    now = timezone.now()
    ticket = log_self_reported_call(
        unit_id=unit.pk,
        details=CallDetails(fault_category="", fault_description="不制冷"),
        visit_window=(now + datetime.timedelta(hours=3), now + datetime.timedelta(hours=6)),
        photos=[],
    )
    sign_in(client, sms)
    progress = steps(client, ticket)
    assert list(progress) == ["accepted", "dispatched", "on_the_way", "on_site", "done", "survey"]
    assert progress["accepted"][0] and not progress["dispatched"][0]

    technician = persona(Role.TECHNICIAN)
    technician.first_name, technician.last_name = "师傅", "张"
    technician.save()
    ticket = apply_transition(
        ticket_id=ticket.pk,
        user=persona(Role.DISPATCHER),
        name="dispatch",
        expected_version=ticket.version,
        technician=technician,
    )
    progress = steps(client, ticket)
    assert progress["dispatched"][0] and technician.get_full_name() in progress["dispatched"][1]
    assert not progress["on_the_way"][0]

    depart(ticket_id=ticket.pk, user=technician, expected_version=None, eta_minutes=30)
    eta = timezone.localtime(timezone.now() + datetime.timedelta(minutes=30))
    progress = steps(client, ticket)
    assert progress["on_the_way"][0] and f"预计 {eta:%H:%M} 到达" in progress["on_the_way"][1]
    assert not progress["on_site"][0]


def test_the_voucher_of_a_signed_visit_downloads_as_a_pdf_for_its_customer_only(
    client, sms, customer, other_customer
):
    ticket = TicketFactory(unit=UnitFactory(owner=customer), awaiting_acceptance=True, signed_report=True)
    others = TicketFactory(
        unit=UnitFactory(owner=other_customer), awaiting_acceptance=True, signed_report=True
    )
    ticket.completed_at = timezone.now()
    ticket.save(update_fields=["completed_at"])
    sign_in(client, sms)
    page = lxml.html.fromstring(client.get(f"/p/t/{ticket.pk}/").content.decode())
    [link] = page.xpath('//*[@data-testid="portal-voucher"]/@href')
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(
        b"%PDF"
    )
    other_report = others.reports.get()
    assert client.get(f"/p/t/{others.pk}/vouchers/{other_report.pk}/").status_code == 404
    assert client.get(f"/p/t/{ticket.pk}/vouchers/{other_report.pk}/").status_code == 404


def test_the_survey_is_answered_in_place_once_and_the_texted_link_stops(client, sms, customer, supervisor):
    ticket = accepted_ticket(supervisor, phone=PHONE)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.token_hash  # acceptance texted a link
    sign_in(client, sms)
    assert 'data-testid="portal-survey"' in client.get(f"/p/t/{ticket.pk}/").content.decode()
    response = client.post(f"/p/t/{ticket.pk}/survey/", ALL_FOUR)
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.answered_via, survey.attitude, survey.comment) == (AnsweredVia.CHANNEL, 4, "很满意")
    assert survey.token_hash is None
    page = client.get(f"/p/t/{ticket.pk}/").content.decode()
    assert "感谢您的评价" in page and 'data-testid="portal-survey"' not in page
    assert steps(client, ticket)["survey"][0]
    again = client.post(f"/p/t/{ticket.pk}/survey/", {**ALL_FOUR, "attitude": "1"}, follow=True)
    assert "已经提交过了" in again.content.decode()
    survey.refresh_from_db()
    assert survey.attitude == 4


def test_the_ticket_page_reads_the_survey_once(client, sms, customer, supervisor):
    ticket = accepted_ticket(supervisor, phone=PHONE)
    sign_in(client, sms)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/p/t/{ticket.pk}/").content.decode()
    assert 'data-testid="portal-survey"' in page
    assert len([q for q in queries.captured_queries if 'FROM "surveys_survey"' in q["sql"]]) == 1


def test_an_incomplete_survey_is_shown_again_with_what_is_missing(client, sms, customer, supervisor):
    ticket = accepted_ticket(supervisor, phone=PHONE)
    sign_in(client, sms)
    response = client.post(f"/p/t/{ticket.pk}/survey/", {"attitude": "4"})
    assert response.status_code == 200 and "请为每一项选择满意程度" in response.content.decode()
    assert not Survey.objects.get(ticket=ticket).is_answered


def test_another_customers_survey_cannot_be_answered(client, sms, customer, supervisor):
    ticket = accepted_ticket(supervisor, phone="13700001111")
    sign_in(client, sms)
    assert client.post(f"/p/t/{ticket.pk}/survey/", ALL_FOUR).status_code == 404
    assert not Survey.objects.get(ticket=ticket).is_answered


def test_a_cancelled_ticket_says_so():
    now = timezone.now()
    result = customer_steps(TicketFacts(state="cancelled", reported_at=now, closed_at=now))
    assert [step.key for step in result] == ["accepted", "cancelled"]


def test_a_factory_repair_shows_the_factory_and_the_pickup():
    now = timezone.now()
    result = customer_steps(
        TicketFacts(state="awaiting_pickup", reported_at=now, in_factory=True, pickup_receipt="SH-SJ-1")
    )
    keys = [step.key for step in result]
    assert keys.index("factory") < keys.index("pickup") < keys.index("done")
    assert "SH-SJ-1" in next(step.detail for step in result if step.key == "pickup")
