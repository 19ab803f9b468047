"""The one visibility rule of branch-scoped lists (accounts.scoping), on the ticket list's queryset."""

import pytest

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket
from tickets.returns import GoodsRegisterEntry

pytestmark = pytest.mark.django_db


def test_headquarters_all_office_its_branch_technician_their_jobs_inactive_nothing(
    persona, branch_a, branch_b, headquarters
):
    technician = persona(Role.TECHNICIAN)
    mine = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
    colleague = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
    elsewhere = TicketFactory(unit__owner__branch=branch_b)
    visible = lambda user: set(RepairTicket.objects.visible_to(user))  # noqa: E731
    assert visible(persona(Role.GENERAL_MANAGER, branch=headquarters)) == {mine, colleague, elsewhere}
    assert visible(persona(Role.DISPATCHER)) == {mine, colleague}
    assert visible(technician) == {mine}
    assert visible(UserFactory(branch=branch_a, roles=[Role.DISPATCHER], is_active=False)) == set()
    assert visible(UserFactory(branch=None, roles=[Role.DISPATCHER])) == set()


def test_a_model_may_hide_all_rows_from_technicians(persona):
    assert GoodsRegisterEntry.objects.visible_to(persona(Role.TECHNICIAN)).query.is_empty()


def test_in_branch_is_the_same_rule_for_one_branch_id(persona, branch_a, branch_b, headquarters):
    dispatcher = persona(Role.DISPATCHER)
    assert dispatcher.in_branch(branch_a.pk)
    assert not dispatcher.in_branch(branch_b.pk)
    assert not dispatcher.in_branch(None)
    gm = persona(Role.GENERAL_MANAGER, branch=headquarters)
    assert gm.in_branch(branch_a.pk) and gm.in_branch(branch_b.pk)
    nowhere = UserFactory(branch=None, roles=[Role.DISPATCHER])
    assert not nowhere.in_branch(None) and not nowhere.in_branch(branch_a.pk)
