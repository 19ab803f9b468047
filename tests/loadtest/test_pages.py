"""The soak's users find their forms on today's pages: if a template changes so that a pattern of
loadtest.pages no longer matches, the soak would quietly stop racing — these tests fail instead."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loadtest import fixtures, pages
from parts import ledger
from parts.models import MovementKind
from parts.services import decide_requisition, submit_requisition
from tests.customers.factories import UnitFactory
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory
from tickets.services import CallDetails, log_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_ticket(dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a)
    return log_call(user=dispatcher, unit=unit, details=CallDetails("appliance", "开机无反应"))


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_dispatchers_race_on_the_board_and_the_loser_reads_the_refusal(
    client, dispatcher, technician, board_ticket
):
    board = page(client, dispatcher, reverse("tickets:dispatch_board"))
    assert (str(board_ticket.pk), "dispatch", "1") in pages.ROW_FORM.findall(board)
    assert str(technician.pk) in [pk for pk, _label in pages.OPTION.findall(board)]
    post = {
        "version": "1",
        "technician": technician.pk,
        "next": "board",
        "csrfmiddlewaretoken": pages.CSRF.search(board).group(1),
    }
    url = reverse("tickets:transition", args=[board_ticket.pk, "dispatch"])
    first = client.post(url, post, follow=True).content.decode()
    second = client.post(url, post, follow=True).content.decode()
    assert [level for level, _text in pages.messages(first)] == ["success"]
    [(level, text)] = pages.messages(second)
    assert level == "danger"
    assert "已被他人更新" in text


def test_the_technician_finds_check_in_and_the_supervisor_reject_return(
    client, technician, supervisor, branch_a
):
    dispatched = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
    returning = TicketFactory(unit__owner__branch=branch_a, rma_requested=True, technician=technician)
    jobs = page(client, technician, reverse("tickets:my_jobs"))
    assert (str(dispatched.pk), "check_in", "1") in pages.ROW_FORM.findall(jobs)
    assert str(dispatched.pk) in pages.TICKET_LINK.findall(jobs)
    listing = page(client, supervisor, reverse("tickets:list") + "?state=rma_requested")
    assert pages.TICKET_LINK.findall(listing) == [str(returning.pk)]
    detail = page(client, supervisor, reverse("tickets:detail", args=[returning.pk]))
    assert (str(returning.pk), "reject_return", "1") in pages.ROW_FORM.findall(detail)


def test_keepers_and_supervisors_find_the_requisition_forms(
    client, technician, supervisor, persona, branch_a
):
    keeper = persona("warehouse")
    store = WarehouseFactory(code=fixtures.STORE, name=fixtures.STORE_NAME, branch=branch_a)
    WarehouseFactory(code="VAN-T", branch=branch_a, kind="van", technician=technician)
    part = PartFactory(code=fixtures.PARTS[0])
    ledger.move([ledger.Change(part, store, 1)], kind=MovementKind.RECEIPT, actor=keeper, reference="期初")
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)

    form = page(client, technician, reverse("parts:requisition_new", args=[ticket.pk]))
    assert pages.STORE_OPTION.search(form).group(1) == str(store.pk)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(part, 3)], reason="压测领料"
    )
    inbox = page(client, supervisor, reverse("claims:approvals"))
    assert pages.INBOX_REQUISITION.findall(inbox) == [str(requisition.pk)]
    assert 'value="approve"' in page(client, supervisor, requisition.get_absolute_url())

    decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
    listing = page(client, keeper, reverse("parts:requisitions") + "?state=to_issue")
    assert str(requisition.pk) in pages.REQUISITION_LINK.findall(listing)
    line = requisition.lines.get()
    # outstanding 3, the page offers the 1 in stock
    detail = page(client, keeper, requisition.get_absolute_url())
    assert pages.ISSUE_INPUT.findall(detail) == [("3", str(line.pk), "1")]
    assert pages.STORE_OPTION.search(page(client, keeper, reverse("parts:receive"))).group(1) == str(store.pk)


def test_dispatchers_find_units_and_the_call_form(client, dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a, serial_number=f"{fixtures.SERIAL_PREFIX}000001")
    found = page(client, dispatcher, reverse("customers:search") + f"?q={fixtures.SERIAL_PREFIX}0000")
    assert pages.UNIT_LINK.findall(found) == [str(unit.pk)]
    form = page(client, dispatcher, reverse("tickets:intake") + f"?unit={unit.pk}")
    assert pages.UNIT_FIELD.search(form).group(1) == str(unit.pk)
    assert pages.PRODUCT_MODEL_OPTION.search(page(client, dispatcher, reverse("tickets:intake")))


def test_the_field_technician_finds_the_check_in_and_the_coming_visits_report_before_leaving(
    client, branch_a
):
    """loadtest.locustfile FieldTechnician: 我的任务's check-in form and version, and the report scope of the
    visit the check-in starts (the report pages kept before check-in)."""
    job = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
    jobs = page(client, job.technician, reverse("tickets:my_jobs"))
    assert (str(job.pk), "check_in", str(job.version)) in pages.ROW_FORM.findall(jobs)
    report = page(client, job.technician, reverse("tickets:report", args=[job.pk]) + "?step=6")
    assert pages.REPORT_SCOPE.search(report).group(1) == f"report:{job.pk}:1"
    assert "payment_method" not in pages.SIGNATURE_NEEDS.search(report).group(1).split()
    paid = TicketFactory(unit__owner__branch=branch_a, dispatched=True, service_category="A")
    report = page(client, paid.technician, reverse("tickets:report", args=[paid.pk]) + "?step=6")
    assert {"fee", "payment_method"} <= set(pages.SIGNATURE_NEEDS.search(report).group(1).split())
