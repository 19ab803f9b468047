"""领料单 待审批 in the supervisors' inbox shows done once one of them decided it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from parts.services import decide_requisition, submit_requisition
from tests.notifications.test_work_done import inbox_entry, unread_count
from tests.tickets.factories import TicketFactory


@pytest.mark.django_db
def test_a_requisition_decided_by_one_supervisor_is_done_for_the_other(
    client, persona, branch_a, technician, store, part
):
    first = persona(Role.SUPERVISOR, username="supervisor_one")
    second = persona(Role.SUPERVISOR, username="supervisor_two")
    ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="压缩机"
    )
    client.force_login(second)
    assert unread_count(client) == 1
    decide_requisition(requisition_id=requisition.pk, user=first, approve=True)
    assert unread_count(client) == 0
    assert "已处理" in inbox_entry(client, requisition.number)
    assert client.get(reverse("notifications:inbox")).status_code == 200
