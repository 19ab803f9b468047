"""Two-person jobs (seed §1-3.3, R1.two-people): a dispatch names a lead and helpers; the lead has the
report signed; everyone sent appears on the voucher, in their own daily report and in their KPIs."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import Role
from aftersales.errors import Conflict, UserError
from notifications.models import Notification
from reports.daily import branch_day, technician_day
from reports.kpis import BRANCH, TECHNICIAN, Scope, kpi_table, total
from reports.periods import Month
from tests.api_errors import error_fields
from tests.tickets.factories import TicketFactory, signature_png
from tickets.documents import service_voucher_pdf
from tickets.models import RepairTicket, TicketEvent, TicketHelper
from tickets.report_services import save_report, sign_report
from tickets.services import apply_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(persona):
    lead = persona(Role.TECHNICIAN, username="lead")
    lead.last_name, lead.first_name = "刘", "一"
    lead.save()
    helper = persona(Role.TECHNICIAN, username="helper")
    helper.last_name, helper.first_name = "陈", "二"
    helper.save()
    return lead, helper


@pytest.fixture
def waiting(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, unit__owner__name="张伟")


def dispatch(client, ticket, technician, helpers):
    return client.post(
        reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
        {
            "idempotency_key": str(uuid.uuid4()),
            "version": ticket.version,
            "note": "",
            "technician": technician.pk,
            "helpers": [helper.pk for helper in helpers],
        },
        headers={"accept": "application/json"},
    )


def sign_as(user, ticket):
    save_report(
        ticket_id=ticket.pk,
        user=user,
        idempotency_key=uuid.uuid4(),
        expected_version=None,
        changes={
            "customer_account": "空调开机五分钟后自动停机",
            "usage_reading": "约 1200 小时",
            "previously_disassembled": False,
            "findings": "室外机电容鼓包",
            "cause": "电容老化",
            "work_done": "两人抬下室外机,更换压缩机",
            "labour_hours": Decimal("3.00"),
            "fee": Decimal("0"),
            "payment_method": "",
        },
    )
    return sign_report(ticket_id=ticket.pk, user=user, signer_name="张伟", signature_png=signature_png())


def test_a_two_technician_dispatch_reaches_the_voucher_and_both_daily_reports(
    client, dispatcher, crew, waiting, branch_a
):
    lead, helper = crew
    client.force_login(dispatcher)
    assert dispatch(client, waiting, lead, [helper, lead]).status_code == 200
    ticket = RepairTicket.objects.get(pk=waiting.pk)
    assert ticket.state == "dispatched" and ticket.technician == lead
    assert list(ticket.helpers.all()) == [helper]  # the lead named again is not their own helper
    assert ticket.events.get(action="dispatch").data["helper_names"] == [str(helper)]
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "协助" in page and str(helper) in page

    # The helper sees the job in 我的任务 and may open it, but cannot write or sign the report.
    client.force_login(helper)
    assert ticket.number in client.get(reverse("tickets:my_jobs")).content.decode()
    assert client.get(ticket.get_absolute_url()).status_code == 200

    apply_transition(ticket_id=ticket.pk, user=lead, name="check_in", expected_version=ticket.version)
    ticket.refresh_from_db()
    with pytest.raises(PermissionDenied):
        sign_as(helper, ticket)
    report = sign_as(lead, ticket)
    assert report.technician == lead

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(service_voucher_pdf(report))).pages)
    text = text.replace("\n", "")
    assert "刘一" in text and "陈二" in text and "负责人" in text

    today = timezone.localdate()
    for person in (lead, helper):
        day = technician_day(person, today)
        assert [(line.ticket, line.hours) for line in day.lines] == [(ticket.number, Decimal("3.00"))]
    rows = {row.technician.pk: row for row in branch_day(branch_a, today).rows}
    assert (rows[lead.pk].total, rows[lead.pk].tickets) == (Decimal("3.00"), 1)
    assert (rows[helper.pk].total, rows[helper.pk].tickets) == (Decimal("3.00"), 1)
    assert branch_day(branch_a, today).tickets == 2  # one job each for the two who went

    # The lead completes the visit; the month's KPIs count the job attended by each, and finished once
    # in the branch's totals (reports.kpis).
    ticket.refresh_from_db()
    apply_transition(
        ticket_id=ticket.pk,
        user=lead,
        name="complete_visit",
        expected_version=ticket.version,
        note=report.work_done,
    )
    month = Scope(Month.of(today), branch_a)
    people = {row.key: row for row in kpi_table(month, TECHNICIAN)}
    assert (people[lead.pk].finished, people[lead.pk].helped, people[lead.pk].attended) == (1, 0, 1)
    assert (people[helper.pk].finished, people[helper.pk].helped, people[helper.pk].attended) == (0, 1, 1)
    assert total(kpi_table(month, BRANCH)).finished == 1


def test_a_helper_from_another_branch_is_refused_and_nothing_is_dispatched(
    client, dispatcher, crew, waiting, persona, branch_b
):
    lead, _helper = crew
    outsider = persona(Role.TECHNICIAN, branch=branch_b, username="outsider")
    client.force_login(dispatcher)
    response = dispatch(client, waiting, lead, [outsider])
    assert response.status_code == 400
    assert str(outsider) not in response.json()["message"]  # another branch's id is as good as none
    waiting.refresh_from_db()
    assert waiting.state == "reported" and waiting.technician is None
    assert not TicketHelper.objects.exists()
    client.force_login(outsider)
    assert client.get(waiting.get_absolute_url()).status_code == 404


def dispatched(dispatcher, ticket, technician, helpers):
    """A dispatch through the service, as the ticket page and the board call it."""
    return apply_transition(
        ticket_id=ticket.pk,
        user=dispatcher,
        name="dispatch",
        expected_version=None,
        technician=technician,
        helpers=helpers,
    )


def test_a_new_dispatch_names_the_whole_crew_again(dispatcher, crew, waiting, persona):
    lead, helper = crew
    third = persona(Role.TECHNICIAN, username="third")
    dispatched(dispatcher, waiting, lead, [helper])
    ticket = dispatched(dispatcher, waiting, helper, [third])
    assert ticket.technician == helper
    assert list(ticket.helpers.all()) == [third]
    assert list(RepairTicket.objects.for_technician(lead)) == []
    assert list(RepairTicket.objects.for_technician(third)) == [ticket]


def test_a_redispatch_keeps_a_helper_named_again(dispatcher, crew, waiting, persona):
    lead, helper = crew
    third = persona(Role.TECHNICIAN, username="third")
    dispatched(dispatcher, waiting, lead, [helper])
    ticket = dispatched(dispatcher, waiting, third, [helper])
    assert list(ticket.helpers.all()) == [helper]
    assert TicketHelper.objects.filter(ticket=ticket).count() == 1
    last = TicketEvent.objects.filter(ticket=ticket, action="dispatch").latest("pk")
    assert last.data["previous_technician"] == lead.pk and "released_helper_names" not in last.data


def test_the_history_says_who_had_the_job_before_a_reassignment_and_who_helps(
    client, dispatcher, crew, waiting, persona
):
    """A helper trying the board could not tell a reassignment from a first dispatch: the history named
    only the new technician."""
    lead, helper = crew
    third = persona(Role.TECHNICIAN, username="third")
    third.last_name, third.first_name = "王", "三"
    third.save()
    client.force_login(dispatcher)
    answer = dispatch(client, waiting, lead, [helper])
    assert answer.json()["message"].endswith("当前状态:已派工,技术员:刘一,协助技术员:陈二。")
    waiting.refresh_from_db()
    assert dispatch(client, waiting, third, []).json()["message"].endswith("已派工,技术员:王三。")
    first, second = TicketEvent.objects.filter(ticket=waiting, action="dispatch").order_by("pk")
    assert "previous_technician" not in first.data
    assert second.data["previous_technician"] == lead.pk
    page = client.get(waiting.get_absolute_url()).content.decode()
    timeline = page[page.index('data-testid="timeline"') :]
    assert "技术员: 刘一 · 协助技术员: 陈二" in timeline
    assert (
        '技术员: 王三<span data-testid="previous-technician">(原为 刘一)</span> · 不再协助: 陈二' in timeline
    )
    # Only the helper let go: the lead stays, the history says who no longer helps.
    waiting.refresh_from_db()
    assert dispatch(client, waiting, third, [lead]).status_code == 200
    waiting.refresh_from_db()
    assert dispatch(client, waiting, third, []).status_code == 200
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert page.count("不再协助: 刘一") == 1 and page.count("原为") == 1


def test_dispatch_pressed_again_with_the_same_crew_writes_and_texts_nothing(
    dispatcher, crew, waiting, persona
):
    """A helper found the customer texted 已派工 five times in 25 s: 派工 pressed again on a dispatched ticket
    with the same technician wrote another history row and sent another SMS each time."""
    lead, helper = crew

    def dispatch_to(technician, helpers):
        return dispatched(dispatcher, waiting, technician, helpers)

    dispatch_to(lead, [helper])
    with pytest.raises(Conflict, match="无需再次派工"):
        dispatch_to(lead, [helper, lead])  # the lead named among the helpers is dropped: the same crew
    assert TicketEvent.objects.filter(ticket=waiting, action="dispatch").count() == 1
    assert Notification.objects.filter(customer=waiting.customer, kind="dispatched").count() == 1
    # A change of the crew is a new dispatch: the helper alone, then the lead alone.
    assert list(dispatch_to(lead, []).helpers.all()) == []
    assert dispatch_to(helper, []).technician == helper
    assert TicketEvent.objects.filter(ticket=waiting, action="dispatch").count() == 3


def test_the_service_refuses_a_helper_of_another_branch(dispatcher, crew, waiting, persona, branch_b):
    lead, _helper = crew
    outsider = persona(Role.TECHNICIAN, branch=branch_b, username="outsider")
    with pytest.raises(UserError, match="不属于工单所在网点"):
        apply_transition(
            ticket_id=waiting.pk,
            user=dispatcher,
            name="dispatch",
            expected_version=None,
            technician=lead,
            helpers=[outsider],
        )
    waiting.refresh_from_db()
    assert waiting.state == "reported" and not TicketHelper.objects.exists()


def test_the_api_dispatches_a_crew_and_shows_it(dispatcher, crew, waiting, persona, branch_b):
    lead, helper = crew
    outsider = persona(Role.TECHNICIAN, branch=branch_b, username="outsider")
    api = APIClient()
    api.force_authenticate(dispatcher)
    url = f"/api/v1/tickets/{waiting.pk}/transitions/dispatch"
    refused = api.post(url, {"technician": lead.pk, "helpers": [outsider.pk], "version": 1}, format="json")
    assert refused.status_code == 400 and "helpers" in error_fields(refused)
    done = api.post(url, {"technician": lead.pk, "helpers": [helper.pk], "version": 1}, format="json")
    assert done.status_code == 200, done.content
    assert api.get(f"/api/v1/tickets/{waiting.pk}").json()["helpers"] == [helper.pk]
