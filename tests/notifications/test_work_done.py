"""A message that asks for a decision (待您审批) shows that it is done once anyone decided, and the unread
count in the header counts only what still needs the reader."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.claims.test_claims import approve, file_claim, sh_rule
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def unread_count(client) -> int:
    page = client.get(reverse("notifications:inbox")).content.decode()
    found = re.search(r'data-testid="unread-count">(\d+)<', page)
    return int(found.group(1)) if found else 0


def inbox_entry(client, text: str) -> str:
    page = client.get(reverse("notifications:inbox")).content.decode()
    entries = [entry for entry in page.split('class="list-group-item') if text in entry]
    assert len(entries) == 1, text
    return entries[0]


@pytest.fixture
def claim_asked(persona, branch_a, dispatcher):
    """A small claim asking both supervisors of the branch."""
    sh_rule(branch_a)
    first = persona(Role.SUPERVISOR, username="supervisor_one")
    second = persona(Role.SUPERVISOR, username="supervisor_two")
    claim = file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a, on_site=True), "300")
    return claim, first, second


def test_an_ask_decided_by_someone_else_shows_done_and_leaves_the_count(client, claim_asked):
    claim, first, second = claim_asked
    client.force_login(second)
    assert unread_count(client) == 1
    assert "待处理" in inbox_entry(client, claim.number)

    approve(first, claim)

    assert unread_count(client) == 0
    entry = inbox_entry(client, claim.number)
    assert "已处理" in entry and "待处理" not in entry


def test_an_ask_the_reader_decided_shows_done_too(client, claim_asked):
    claim, first, _second = claim_asked
    approve(first, claim)
    client.force_login(first)
    assert unread_count(client) == 0
    assert "已处理" in inbox_entry(client, claim.number)


def test_a_withdrawn_claim_is_no_longer_asked_for(client, claim_asked, dispatcher):
    from claims.services import withdraw_claim

    claim, first, _second = claim_asked
    withdraw_claim(user=dispatcher, claim_id=claim.pk, expected_version=claim.version, reason="客户改为维修")
    client.force_login(first)
    assert "已处理" in inbox_entry(client, "待您审批")
    assert unread_count(client) == 1  # the notice that it was withdrawn, read once
