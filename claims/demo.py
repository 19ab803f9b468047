"""Demo data of this app, called by `manage.py seed_demo`. Must be idempotent.

Built through the services: Shanghai's approval rule (threshold ¥2,000: supervisor; above it also the
manager and the general manager), a small claim approved (its write-off waiting for finance), a large
one waiting for the manager, one waiting for the general manager, a rejected one, service fees
received and invoiced, and fees told to customers before the work.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from claims.fee_services import (
    QUOTABLE_STATES,
    billable_reports,
    invoice_fee,
    receive_fee,
    record_fee_quote,
)
from claims.models import ApprovalLevel, ApprovalRule, Claim, FeeHandover, FeeQuote
from claims.services import decide_claim, submit_claim
from tickets.models import RepairTicket, State

SH_LEVELS = [("supervisor", False), ("manager", True), ("general_manager", True)]
# kind, amount, reason, the decisions taken so far (approver username, approve?, note)
CLAIMS = [
    (
        "fee_waiver",
        "380.00",
        "返修两次仍未修好,减免本次上门服务费和配件费。",
        [("supervisor", True, "同意减免")],
    ),
    (
        "replacement",
        "3200.00",
        "购买第 25 天压缩机故障,经鉴定属质量问题,为客户更换同型号整机。",
        [("supervisor", True, "已上门鉴定,与客户达成换机协议")],
    ),
    (
        "cash",
        "8600.00",
        "批次质量问题导致客户店铺停业两天,协商现金赔偿。",
        [("supervisor", True, "已与客户达成协议"), ("manager", True, "情况属实,同意")],
    ),
    (
        "refund",
        "1200.00",
        "客户要求退货。",
        [("supervisor", False, "购买已超过 7 天且外观有明显损伤,不符合退货条件,建议免费维修。")],
    ),
]


def _sh_rule(branch) -> None:
    rule, created = ApprovalRule.objects.get_or_create(
        branch=branch, defaults={"threshold": Decimal("2000.00")}
    )
    if created:
        for position, (role, large_only) in enumerate(SH_LEVELS, 1):
            ApprovalLevel.objects.create(rule=rule, position=position, role=role, large_only=large_only)


def _claims(branch, users, stdout) -> None:
    tickets = list(RepairTicket.objects.filter(branch=branch).exclude(state=State.CANCELLED).order_by("pk"))
    if len(tickets) < len(CLAIMS):
        stdout.write("Too few Shanghai tickets for the demo claims; none added.")
        return
    for ticket, (kind, amount, reason, decisions) in zip(tickets, CLAIMS, strict=False):
        claim = submit_claim(
            user=users["dispatcher"], ticket_id=ticket.pk, kind=kind, amount=Decimal(amount), reason=reason
        )
        for username, approve, note in decisions:
            claim = decide_claim(
                user=users[username],
                claim_id=claim.pk,
                expected_version=claim.version,
                approve=approve,
                note=note,
            )


def _fees(branch, users) -> None:
    finance = users["finance"]
    reports = list(billable_reports(finance).filter(ticket__branch=branch).order_by("signed_at", "pk")[:3])
    for index, report in enumerate(reports[:2]):
        handover = receive_fee(user=finance, report_id=report.pk)
        if index == 0:
            invoice_fee(
                user=finance,
                handover_id=handover.pk,
                invoice_number="SH-FP-00000001",
                invoice_date=timezone.localdate(handover.received_at),
            )


def _quotes(branch, users) -> None:
    """Paid jobs not yet worked on: the fee told to the customer and agreed (§5 第三十条)."""
    waiting = RepairTicket.objects.filter(
        branch=branch, service_category="A", state__in=QUOTABLE_STATES, report_signed=False
    ).select_related("customer")
    for ticket in waiting.order_by("pk")[:2]:
        record_fee_quote(
            user=users["dispatcher"],
            ticket_id=ticket.pk,
            amount=Decimal("180.00"),
            description="上门服务费及更换启动电容",
            agreed_by=ticket.customer.name,
        )


def seed(*, branches, users, stdout) -> None:
    """branches: {"HQ"|"SH"|"HZ": Branch}; users: {username: User} (see seed_demo.USERS)."""
    sh = branches["SH"]
    _sh_rule(sh)
    if Claim.objects.filter(branch=sh).exists():
        stdout.write("Demo claims already present; none added.")
    else:
        _claims(sh, users, stdout)
    if not FeeHandover.objects.filter(branch=sh).exists():
        _fees(sh, users)
    if not FeeQuote.objects.filter(ticket__branch=sh).exists():
        _quotes(sh, users)
