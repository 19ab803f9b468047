"""Rows the reports read, made directly (the SLA engine, surveys and complaints are other apps' writers)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from surveys.models import Complaint, Survey
from tickets.models import Milestone, ServiceReport, TicketDeadline

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime.datetime:
    """local(2026, 10, 31, 23, 30) → that wall-clock time in Asia/Shanghai."""
    return datetime.datetime(*parts, tzinfo=SHANGHAI)


def arrival(ticket, *, met_at: datetime.datetime | None, in_time: bool | None, milestone=Milestone.ARRIVAL):
    due = (met_at or ticket.reported_at) + datetime.timedelta(hours=2 if in_time else -2)
    started = min(ticket.reported_at, due - datetime.timedelta(hours=4))
    return TicketDeadline.objects.create(
        ticket=ticket,
        milestone=milestone,
        target_hours=Decimal("24"),
        basis="clock",
        started_at=started,
        warn_at=due - datetime.timedelta(hours=1),
        due_at=due,
        escalate_at=due + datetime.timedelta(hours=4),
        met_at=met_at,
        in_time=in_time,
        active=met_at is None,
    )


def survey(ticket, levels: tuple[int, int, int, int], *, answered_at: datetime.datetime, comment: str = ""):
    attitude, skill, punctuality, promises = levels
    return Survey.objects.create(
        ticket=ticket,
        branch=ticket.branch,
        technician=ticket.technician,
        attitude=attitude,
        skill=skill,
        punctuality=punctuality,
        promises=promises,
        comment=comment,
        answered_at=answered_at,
        answered_via="agent",
    )


def complaint(branch, *, received_at, received_by, ticket=None, service_at_fault=True, description="态度差"):
    return Complaint.objects.create(
        number=f"C-{uuid.uuid4().hex[:10]}",
        branch=branch,
        ticket=ticket,
        contact_name="张先生",
        source="call",
        service_at_fault=service_at_fault,
        description=description,
        received_at=received_at,
        received_by=received_by,
        plan_due_at=received_at + datetime.timedelta(hours=72),
    )


def signed_report(ticket, *, signed_at, hours: str, fee: str = "0", visit: int = 1, technician=None):
    return ServiceReport.objects.create(
        ticket=ticket,
        visit=visit,
        technician=technician or ticket.technician,
        idempotency_key=uuid.uuid4(),
        work_done="更换电容",
        labour_hours=Decimal(hours),
        fee=Decimal(fee),
        signer_name="王芳",
        signed_at=signed_at,
        content_sha256="0" * 64,
    )


def part_used(report, *, code: str, cost: str, quantity: int, at: datetime.datetime, status="consumed"):
    from parts.models import Part, PartUsage
    from tickets.models import ServiceReportPart

    part, _created = Part.objects.get_or_create(
        code=code, defaults={"name": "启动电容", "cost": Decimal(cost)}
    )
    line = ServiceReportPart.objects.create(
        report=report, part_code=code, part_name=part.name, quantity=quantity
    )
    return PartUsage.objects.create(
        report_part=line,
        ticket=report.ticket,
        technician=report.technician,
        part=part,
        quantity=quantity,
        status=status,
        created_at=at,
    )


def decided_claim(ticket, *, amount: str, decided_at: datetime.datetime, by, status="approved"):
    from claims.models import Claim

    claim = Claim.objects.create(
        number=f"W-{uuid.uuid4().hex[:10]}",
        branch=ticket.branch,
        ticket=ticket,
        kind="cash",
        amount=Decimal(amount),
        reason="上门迟到,赔偿",
        submitted_by=by,
        submitted_at=decided_at - datetime.timedelta(days=1),
        threshold=Decimal("1000"),
        is_large=False,
        levels=["supervisor"],
        awaiting_role="supervisor",
    )
    reason = "不属保修范围" if status == "rejected" else ""
    Claim.objects.filter(pk=claim.pk).update(
        status=status, decided_at=decided_at, awaiting_role="", rejection_reason=reason
    )
    return claim


def october_data(*, branch_a, branch_b, clerk) -> dict:
    """The fixed data set the KPI tests compute by hand (October 2026, Shanghai SH and Hangzhou HZ).

    SH: 刘一 (t1 A, t2 C), 陈二 (t3 C, t4 B on model M2); HZ: 赵三 (t5 D). Warranty cost in October:
    t3's report (2.5 h × ¥80 + ¥30 fee waived) + 2 capacitors at ¥45.50 + a ¥500 claim = ¥821.00. t1 is reported at
    2026-10-31 23:30 +08:00 (October), t2 at 2026-11-01 00:10 +08:00 (November); the rows near
    midnight around them fall into the month of their local time.
    """
    from tests.accounts.factories import UserFactory
    from tests.customers.factories import ProductModelFactory, UnitFactory
    from tests.tickets.factories import TicketFactory

    liu = UserFactory(username="liu1", last_name="刘", first_name="一", branch=branch_a, roles=["technician"])
    chen = UserFactory(
        username="chen2", last_name="陈", first_name="二", branch=branch_a, roles=["technician"]
    )
    zhao = UserFactory(
        username="zhao3", last_name="赵", first_name="三", branch=branch_b, roles=["technician"]
    )
    m1 = ProductModelFactory(code="KFR-35GW", name="壁挂式空调")
    m2 = ProductModelFactory(code="XQG-80", name="滚筒洗衣机")

    def ticket(number, branch, technician, category, reported_at, model=m1, completed_at=None):
        return TicketFactory(
            number=number,
            branch=branch,
            unit=UnitFactory(owner__branch=branch, product_model=model),
            technician=technician,
            state="closed",
            service_category=category,
            reported_at=reported_at,
            completed_at=completed_at,
        )

    t1 = ticket(
        "SH-20261031-0001",
        branch_a,
        liu,
        "A",
        local(2026, 10, 31, 23, 30),
        completed_at=local(2026, 10, 31, 23, 50),
    )
    t2 = ticket(
        "SH-20261101-0001",
        branch_a,
        liu,
        "C",
        local(2026, 11, 1, 0, 10),
        completed_at=local(2026, 11, 1, 1, 0),
    )
    t3 = ticket(
        "SH-20261005-0001", branch_a, chen, "C", local(2026, 10, 5, 9), completed_at=local(2026, 10, 7, 10)
    )
    t4 = ticket(
        "SH-20261010-0001",
        branch_a,
        chen,
        "B",
        local(2026, 10, 10, 9),
        model=m2,
        completed_at=local(2026, 10, 12, 10),
    )
    t5 = ticket(
        "HZ-20261015-0001", branch_b, zhao, "D", local(2026, 10, 15, 9), completed_at=local(2026, 10, 17, 10)
    )

    arrival(t1, met_at=local(2026, 10, 31, 23, 40), in_time=True)
    arrival(t2, met_at=local(2026, 11, 1, 0, 20), in_time=False)
    arrival(t3, met_at=local(2026, 10, 6, 9), in_time=False)
    arrival(t4, met_at=local(2026, 10, 11, 9), in_time=True)
    arrival(t5, met_at=local(2026, 10, 16, 9), in_time=True)
    arrival(t3, met_at=local(2026, 10, 5, 10), in_time=True, milestone=Milestone.CONTACT)  # not an arrival

    survey(t3, (4, 3, 2, 1), answered_at=local(2026, 10, 20, 10), comment="师傅来晚了,答应的配件没送来")
    survey(t4, (4, 4, 4, 4), answered_at=local(2026, 10, 21, 10), comment="师傅很专业")
    survey(t5, (3, 3, 3, 3), answered_at=local(2026, 10, 22, 10))
    survey(t1, (1, 1, 1, 1), answered_at=local(2026, 11, 1, 0, 5), comment="November's")

    complaint(branch_a, ticket=t3, received_at=local(2026, 10, 20, 11), received_by=clerk)
    complaint(
        branch_a, ticket=t4, received_at=local(2026, 10, 21, 11), received_by=clerk, service_at_fault=False
    )
    complaint(branch_b, ticket=t5, received_at=local(2026, 11, 1, 0, 5), received_by=clerk)

    t3_report = signed_report(t3, signed_at=local(2026, 10, 6, 11), hours="2.5", fee="30")
    t2_report = signed_report(t2, signed_at=local(2026, 11, 1, 0, 30), hours="4")
    signed_report(t1, signed_at=local(2026, 10, 31, 23, 45), hours="1.5", fee="200")
    part_used(t3_report, code="CAP-35", cost="45.50", quantity=2, at=local(2026, 10, 6, 11))  # ¥91.00
    part_used(t2_report, code="CAP-35", cost="45.50", quantity=1, at=local(2026, 11, 1, 0, 30))  # November
    part_used(
        t3_report, code="CAP-35", cost="45.50", quantity=5, at=local(2026, 10, 6, 11), status="outstanding"
    )
    decided_claim(t3, amount="500", decided_at=local(2026, 10, 25, 10), by=clerk)
    decided_claim(t4, amount="800", decided_at=local(2026, 10, 26, 10), by=clerk, status="rejected")
    decided_claim(t5, amount="300", decided_at=local(2026, 11, 1, 0, 5), by=clerk)  # November
    return {
        "technicians": (liu, chen, zhao),
        "models": (m1, m2),
        "tickets": (t1, t2, t3, t4, t5),
    }
