"""The approvals inbox: what waits for this user (claims at their level, return requests, part
requisitions), with counts, oldest first, decided from the inbox, constant queries, and the
concurrency of two approvers on PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from aftersales.errors import UserError
from claims.models import Claim, ClaimApproval, ClaimStatus
from claims.services import decide_claim
from parts.models import Requisition
from tests.claims.test_claims import approve, file_claim, png_upload, sh_rule
from tests.concurrency import race
from tests.parts.factories import WarehouseFactory
from tests.tickets.factories import TicketFactory
from tickets.models import State, TicketEvent

INBOX = "/warranty/approvals/"


def count_badge(page: str, kind: str) -> str:
    marker = f'data-testid="count-{kind}">'
    start = page.index(marker) + len(marker)
    return page[start : page.index("<", start)]


@pytest.fixture
def office(persona, headquarters):
    return {
        "dispatcher": persona(Role.DISPATCHER),
        "supervisor": persona(Role.SUPERVISOR),
        "manager": persona(Role.MANAGER),
        "gm": persona(Role.GENERAL_MANAGER, branch=headquarters, username="gm"),
    }


def new_ticket(branch):
    return TicketFactory(unit__owner__branch=branch, on_site=True)


def aged(claim: Claim, days: int) -> Claim:
    Claim.objects.filter(pk=claim.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=days))
    return claim


@pytest.mark.django_db
class TestClaims:
    def test_each_approver_sees_the_claims_at_their_level_oldest_first(self, client, office, branch_a):
        sh_rule(branch_a)
        newer = file_claim(office["dispatcher"], new_ticket(branch_a), "5000")
        older = aged(file_claim(office["dispatcher"], new_ticket(branch_a), "8000"), days=2)
        client.force_login(office["supervisor"])
        page = client.get(INBOX).content.decode()
        assert count_badge(page, "claims") == "2"
        assert page.index(older.number) < page.index(newer.number)
        client.force_login(office["manager"])
        assert count_badge(client.get(INBOX).content.decode(), "claims") == "0"
        approve(office["supervisor"], Claim.objects.get(pk=older.pk))
        page = client.get(INBOX).content.decode()
        assert count_badge(page, "claims") == "1" and older.number in page and "第 2/3 级:服务部经理" in page
        assert "已批准" in page  # the supervisor's approval is shown to the next level

    def test_the_general_manager_at_headquarters_sees_every_branch(
        self, client, office, branch_a, branch_b, persona
    ):
        for branch in (branch_a, branch_b):
            claim = file_claim(persona(Role.DISPATCHER, branch=branch), new_ticket(branch), "9000")
            approve(persona(Role.SUPERVISOR, branch=branch), claim)
        client.force_login(office["gm"])
        assert count_badge(client.get(INBOX).content.decode(), "claims") == "2"

    def test_own_claims_and_other_branches_are_not_in_the_inbox(
        self, client, office, persona, branch_a, branch_b
    ):
        file_claim(office["supervisor"], new_ticket(branch_a), "100")
        file_claim(persona(Role.DISPATCHER, branch=branch_b), new_ticket(branch_b), "100")
        client.force_login(office["supervisor"])
        page = client.get(INBOX).content.decode()
        assert count_badge(page, "claims") == "0" and "没有等待您审批的事项。" in page

    def test_each_claim_shows_its_own_number_of_attachments(self, client, office, branch_a):
        sh_rule(branch_a)
        two = file_claim(
            office["dispatcher"], new_ticket(branch_a), "50", uploads=[png_upload(), png_upload()]
        )
        none = aged(file_claim(office["dispatcher"], new_ticket(branch_a), "60"), days=1)
        one = aged(
            file_claim(office["dispatcher"], new_ticket(branch_a), "70", uploads=[png_upload()]), days=2
        )
        client.force_login(office["supervisor"])
        page = client.get(INBOX).content.decode()
        cards = {claim.number: page[page.index(f'">{claim.number}</a>') :] for claim in (two, none, one)}
        cards = {number: card[: card.index('data-testid="decision-')] for number, card in cards.items()}
        assert "2 个附件" in cards[two.number] and "1 个附件" in cards[one.number]
        assert "个附件" not in cards[none.number]
        assert count_badge(page, "claims") == "3"

    def test_approving_from_the_inbox_returns_to_the_inbox(self, client, office, branch_a):
        sh_rule(branch_a)
        claim = approve(office["supervisor"], file_claim(office["dispatcher"], new_ticket(branch_a), "5000"))
        client.force_login(office["manager"])
        response = client.post(
            reverse("claims:claim_decide", args=[claim.pk]),
            {"version": claim.version, "decision": "approve", "note": "同意", "next": "inbox"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == INBOX
        page = response.content.decode()
        assert f"已批准第 2 级,赔偿申请 {claim.number} 转总经理审批。" in page
        assert count_badge(page, "claims") == "0"

    def test_the_inbox_runs_the_same_queries_for_4_and_for_16_items(self, client, office, branch_a):
        sh_rule(branch_a)
        client.force_login(office["supervisor"])

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(INBOX).status_code == 200
            return len(captured)

        warehouse = WarehouseFactory(branch=branch_a)

        def one_of_each():
            ticket = new_ticket(branch_a)
            file_claim(office["dispatcher"], ticket, "5000")
            file_claim(office["dispatcher"], new_ticket(branch_a), "50", uploads=[png_upload()])
            TicketFactory(unit__owner__branch=branch_a, rma_requested=True)
            Requisition.objects.create(
                number=f"SH-LL-{Requisition.objects.count():04d}",
                branch=branch_a,
                ticket=ticket,
                requested_by=ticket.technician,
                technician=ticket.technician,
                warehouse=warehouse,
                reason="更换压缩机",
            )

        one_of_each()
        few = queries()
        for _ in range(3):
            one_of_each()
        assert queries() == few


@pytest.mark.django_db
class TestReturnsAndRequisitions:
    def test_the_supervisor_sees_return_requests_oldest_first_with_the_reason(self, client, office, branch_a):
        # As apply_transition leaves them: the request's time is when each entered rma_requested.
        requested = {hours: timezone.now() - datetime.timedelta(hours=hours) for hours in (1, 5)}
        late = TicketFactory(unit__owner__branch=branch_a, rma_requested=True, state_changed_at=requested[1])
        early = TicketFactory(unit__owner__branch=branch_a, rma_requested=True, state_changed_at=requested[5])
        for ticket, hours in ((late, 1), (early, 5)):
            TicketEvent.objects.create(
                ticket=ticket,
                actor=ticket.technician,
                at=requested[hours],
                action="request_return",
                from_state=State.ON_SITE,
                to_state=State.RMA_REQUESTED,
                note=f"现场无法修复 {ticket.number}",
            )
        client.force_login(office["supervisor"])
        page = client.get(INBOX).content.decode()
        assert count_badge(page, "returns") == "2"
        assert page.index(early.number) < page.index(late.number)
        assert f"现场无法修复 {early.number}" in page
        assert early.get_absolute_url() in page
        client.force_login(office["manager"])  # returns are the supervisor's decision (§3 第十条)
        assert count_badge(client.get(INBOX).content.decode(), "returns") == "0"

    def test_requisitions_waiting_for_the_supervisor(self, client, office, branch_a):
        ticket = new_ticket(branch_a)
        requisition = Requisition.objects.create(
            number="SH-LL-20261127-0001",
            branch=branch_a,
            ticket=ticket,
            requested_by=ticket.technician,
            technician=ticket.technician,
            warehouse=WarehouseFactory(branch=branch_a),
            reason="更换压缩机",
        )
        client.force_login(office["supervisor"])
        page = client.get(INBOX).content.decode()
        assert count_badge(page, "requisitions") == "1"
        assert requisition.number in page and requisition.get_absolute_url() in page


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approving_the_same_level_at_once(postgres, reference_data, persona, branch_a):
    dispatcher = persona(Role.DISPATCHER)
    first, second = persona(Role.SUPERVISOR, username="sup_one"), persona(Role.SUPERVISOR, username="sup_two")
    claim = file_claim(dispatcher, new_ticket(branch_a), "300")
    outcomes = race(
        *(
            lambda user=user: decide_claim(
                user=user, claim_id=claim.pk, expected_version=claim.version, approve=True, note="同意"
            )
            for user in (first, second)
        )
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, Claim)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, UserError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "已被他人处理" in str(losers[0])
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED
    assert ClaimApproval.objects.filter(claim=claim).count() == 1


@pytest.mark.django_db
def test_the_inbox_speaks_english_when_asked(client, office, branch_a):
    sh_rule(branch_a)
    file_claim(office["dispatcher"], new_ticket(branch_a), "5000")
    client.force_login(office["supervisor"])
    client.post(reverse("set_language"), {"language": "en", "next": INBOX})
    try:
        page = client.get(INBOX).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # the middleware leaves the thread's language set
    assert (
        "Awaiting my approval" in page
        and "Level 1 of 3: Service supervisor" in page
        and "Reject claim" in page
    )
