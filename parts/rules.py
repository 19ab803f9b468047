"""Pure rules of the parts workflows: plain values in, a decision out, no database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from accounts.models import Role

# §5 第三十五条: whatever the status, the customer hears from us within one week.
BACKORDER_CONTACT_INTERVAL = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Actor:
    user_id: int
    roles: frozenset[str]
    branch_id: int | None
    sees_all_branches: bool = False
    is_active: bool = True

    @classmethod
    def of(cls, user) -> Actor:
        return cls(
            user_id=user.pk,
            roles=frozenset(user.roles),
            branch_id=user.branch_id,
            sees_all_branches=user.sees_all_branches,
            is_active=user.is_active,
        )

    def in_branch(self, branch_id: int) -> bool:
        return self.sees_all_branches or (self.branch_id is not None and self.branch_id == branch_id)


def approval_refusal(approver: Actor, *, requester_id: int, branch_id: int) -> str | None:
    """Why this person may not approve or reject a requisition (§1-3.6.1 领导批准), or None.

    Only a service supervisor of the requisition's branch (or of headquarters) decides, and never on
    their own request (DESIGN §7: no one approves their own request), whatever other roles they hold.
    """
    if not approver.is_active:
        return _("账号已停用。")
    if approver.user_id == requester_id:
        return _("不能审批自己提交的领料单。")
    if Role.SUPERVISOR not in approver.roles:
        return _("只有服务主任可以审批领料单。")
    if not approver.in_branch(branch_id):
        return _("该领料单不属于您的网点。")
    return None


def write_off_blockers(
    *, report_signed: bool, leader_approved: bool, old_part_expected: bool, old_part_received: bool
) -> list[str]:
    """§1-3.6.2 / 3.7.4: a part is written off (销帐) against the service report signed by the customer
    and agreed by the leader (the supervisor's 验收 of the ticket) and, for a warranty replacement,
    together with the returned old part. Empty list = may be written off."""
    blockers = []
    if not report_signed:
        blockers.append(_("服务报告尚未经客户签字。"))
    if not leader_approved:
        blockers.append(_("工单尚未经服务主任验收。"))
    if old_part_expected and not old_part_received:
        blockers.append(_("旧件尚未返库。"))
    return blockers


def recovery_rate(claimed: Decimal, recovered: Decimal) -> Decimal | None:
    """Share of the claimed warranty cost that the supplier paid back, in percent (one decimal)."""
    if claimed <= 0:
        return None
    return (recovered * 100 / claimed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def backorder_contact_due_since(now: datetime.datetime) -> datetime.datetime:
    """An open backorder whose customer was last contacted at or before this instant is due a call.

    A cut-off rather than a test of one row, so that the reminder task filters in SQL on the partial
    index `parts_backorder_contact_idx`.
    """
    return now - BACKORDER_CONTACT_INTERVAL


def count_adjustment(*, on_hand: int, counted: int) -> int:
    """The adjustment a stock count makes: counted − on hand (0 means the count agrees)."""
    if counted < 0:
        raise ValueError("a count cannot be negative")
    return counted - on_hand
