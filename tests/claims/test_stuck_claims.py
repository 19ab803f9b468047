"""Claims nobody could decide (issue #15 item 4): a level whose only people are the claimant (or who
decided an earlier level) passes up or on and the trail says so; with nobody at all an admin assigns
someone; the claimant can withdraw a pending claim with a reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from aftersales.errors import Conflict, UserError
from claims.models import Claim, ClaimStatus
from claims.routing import APPROVER_ROLES, LevelChange, reroute
from claims.services import reassign_claim, withdraw_claim
from notifications.models import Notification
from tests.claims.test_claims import approve, file_claim, sh_rule
from tests.tickets.factories import TicketFactory

NOBODY = frozenset()


class TestReroute:
    def test_a_staffed_level_is_asked_as_planned(self):
        assert reroute(("supervisor",), frozenset({"supervisor"}), NOBODY) == ((), "supervisor")

    def test_the_only_supervisor_filed_it_so_the_manager_decides(self):
        staffed, blocked = frozenset({"manager", "general_manager"}), frozenset({"supervisor"})
        changes, asked = reroute(("supervisor",), staffed, blocked)
        assert (changes, asked) == ((LevelChange("supervisor", "manager"),), "manager")

    def test_a_level_whose_role_comes_later_anyway_is_skipped(self):
        staffed, blocked = frozenset({"general_manager"}), frozenset({"manager"})
        changes, asked = reroute(("manager", "general_manager"), staffed, blocked)
        assert (changes, asked) == ((LevelChange("manager", None),), "general_manager")

    def test_with_nobody_who_may_decide_the_level_waits_for_an_admin(self):
        blocked = frozenset({"supervisor", "general_manager"})
        assert reroute(("supervisor", "general_manager"), NOBODY, blocked) == (
            (LevelChange("supervisor", None),),
            None,
        )
        staffed, blocked = frozenset({"supervisor"}), frozenset({"general_manager"})
        assert reroute(("general_manager",), staffed, blocked) == ((), None)

    def test_a_role_with_nobody_at_all_is_a_gap_in_the_set_up_and_waits(self):
        assert reroute(("supervisor", "general_manager"), frozenset({"general_manager"}), NOBODY) == (
            (),
            None,
        )


roles_subset = st.frozensets(st.sampled_from(APPROVER_ROLES))


@given(
    remaining=st.lists(st.sampled_from(APPROVER_ROLES), min_size=1, max_size=3, unique=True).map(tuple),
    staffed=roles_subset,
    blocked=roles_subset,
)
def test_reroute_asks_only_someone_who_may_decide_and_never_lower(remaining, staffed, blocked):
    blocked -= staffed  # a role either has someone who may decide or not
    changes, asked = reroute(remaining, staffed, blocked)
    assert asked is None or asked in staffed
    for change in changes:
        assert change.planned in blocked  # only a level whose people may not decide passes on
        if change.asked is not None:
            assert change.asked in staffed
            assert APPROVER_ROLES.index(change.asked) > APPROVER_ROLES.index(change.planned)
    skipped = [change for change in changes if change.asked is None]
    assert len(skipped) < len(remaining)  # a skipped level always leaves a later one
    if asked is not None and not changes:
        assert asked == remaining[0]


@pytest.fixture
def ticket(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True)


@pytest.mark.django_db
class TestPassedOn:
    def test_a_small_claim_filed_by_the_only_supervisor_goes_to_the_manager(self, persona, ticket, branch_a):
        sh_rule(branch_a)
        supervisor, manager = persona(Role.SUPERVISOR), persona(Role.MANAGER)
        claim = file_claim(supervisor, ticket, "500")
        assert claim.awaiting_role == "manager"
        assert Notification.objects.filter(recipient=manager, kind="claim_approval").exists()
        assert approve(manager, claim).status == ClaimStatus.APPROVED

    def test_the_manager_filed_a_large_claim_so_the_general_manager_decides_after_the_supervisor(
        self, persona, ticket, branch_a, headquarters, client
    ):
        sh_rule(branch_a)
        supervisor, manager = persona(Role.SUPERVISOR), persona(Role.MANAGER)
        gm = persona(Role.GENERAL_MANAGER, branch=headquarters, username="gm")
        claim = file_claim(manager, ticket, "8000")
        claim = approve(supervisor, claim)
        assert (claim.awaiting_role, claim.current_level) == ("general_manager", 3)
        client.force_login(manager)
        page = client.get(claim.get_absolute_url()).content.decode()
        assert 'data-testid="skipped-level"' in page and "已跳过" in page
        assert approve(gm, claim).status == ClaimStatus.APPROVED

    def test_with_nobody_at_all_the_admins_are_asked_and_an_admin_assigns_someone(
        self, persona, ticket, branch_a, client
    ):
        sh_rule(branch_a)
        supervisor = persona(Role.SUPERVISOR)
        admin = persona(Role.ADMIN)
        claim = file_claim(supervisor, ticket, "500")  # the only supervisor; no manager nor general manager
        assert claim.status == ClaimStatus.PENDING and claim.awaiting_role == "supervisor"
        assert Notification.objects.filter(recipient=admin, subject__contains="请指定审批人").exists()
        colleague = persona(Role.SUPERVISOR, username="supervisor_two")
        with pytest.raises(UserError):
            reassign_claim(
                user=admin, claim_id=claim.pk, expected_version=claim.version, approver_id=supervisor.pk
            )
        with pytest.raises(PermissionDenied):
            reassign_claim(
                user=colleague, claim_id=claim.pk, expected_version=claim.version, approver_id=colleague.pk
            )
        client.force_login(admin)
        response = client.post(
            reverse("claims:claim_reassign", args=[claim.pk]),
            {"version": claim.version, "approver": colleague.pk, "note": "原主任出差"},
        )
        assert response.status_code == 302
        claim = Claim.objects.get(pk=claim.pk)
        assert claim.assigned_to == colleague
        page = client.get(claim.get_absolute_url()).content.decode()
        assert 'data-testid="assigned"' in page and str(colleague) in page
        assert approve(colleague, claim).status == ClaimStatus.APPROVED


@pytest.mark.django_db
class TestWithdraw:
    def test_the_claimant_withdraws_with_a_reason_and_the_approver_is_told(
        self, persona, ticket, branch_a, client
    ):
        sh_rule(branch_a)
        dispatcher, supervisor = persona(Role.DISPATCHER), persona(Role.SUPERVISOR)
        claim = file_claim(dispatcher, ticket, "500")
        client.force_login(dispatcher)
        url = reverse("claims:claim_withdraw", args=[claim.pk])
        client.post(url, {"version": claim.version, "reason": "  "})
        claim = Claim.objects.get(pk=claim.pk)
        assert claim.status == ClaimStatus.PENDING
        client.post(url, {"version": claim.version, "reason": "客户已接受换货,不再需要现金赔偿"})
        claim = Claim.objects.get(pk=claim.pk)
        assert (claim.status, claim.awaiting_role) == (ClaimStatus.WITHDRAWN, "")
        assert Notification.objects.filter(recipient=supervisor, kind="claim_withdrawn").exists()
        client.force_login(supervisor)
        assert (
            f'data-testid="decision-{claim.number}"'
            not in client.get(reverse("claims:approvals")).content.decode()
        )

    def test_only_the_claimant_withdraws_and_only_while_pending(self, persona, ticket, branch_a):
        sh_rule(branch_a)
        dispatcher, supervisor = persona(Role.DISPATCHER), persona(Role.SUPERVISOR)
        claim = file_claim(dispatcher, ticket, "500")
        with pytest.raises(PermissionDenied):
            withdraw_claim(user=supervisor, claim_id=claim.pk, expected_version=claim.version, reason="x")
        claim = approve(supervisor, claim)
        with pytest.raises(Conflict):
            withdraw_claim(user=dispatcher, claim_id=claim.pk, expected_version=claim.version, reason="x")
