"""Write paths of the parts workflows: each one transaction that locks what it changes, checks who
acts, writes the ledger through `parts.ledger` and says in Chinese what went wrong."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import DocumentSequence, Role, User
from aftersales.errors import UserError
from aftersales.texts import Text
from audit.services import record
from notifications.services import mark_work_done, notify
from parts import ledger, rules
from parts.ledger import Change, InsufficientStock
from parts.models import (
    ISSUABLE_STATES,
    Backorder,
    Condition,
    MovementKind,
    OldPart,
    Part,
    PartUsage,
    PostageRecord,
    ReceivingLine,
    ReceivingNote,
    Requisition,
    RequisitionLine,
    StockLevel,
    Supplier,
    SupplierClaim,
    Warehouse,
)
from parts.webhooks import emit_parts_issued
from tickets.models import OPEN_STATES, RepairTicket


def allocate_number(*, kind: str, prefix: str, branch) -> str:
    return DocumentSequence.document_number(kind=kind, branch=branch, prefix=prefix)


def check_keeper(user: User, warehouse: Warehouse) -> None:
    """库管 of the warehouse's branch (headquarters: any)."""
    if not (user.is_active and user.has_role(Role.WAREHOUSE)):
        raise PermissionDenied(_("只有库管可以办理出入库。"))
    if not user.in_branch(warehouse.branch_id):
        raise PermissionDenied(_("仓库 %(warehouse)s 不属于您的网点。") % {"warehouse": warehouse})


def keeper_warehouses(user: User):
    """Stores (not vans) this user may book into."""
    return Warehouse.objects.visible_to(user).filter(is_active=True).exclude(kind=Warehouse.Kind.VAN)


def van_of(user: User) -> Warehouse | None:
    return Warehouse.objects.filter(kind=Warehouse.Kind.VAN, technician=user, is_active=True).first()


# --- receiving (备用件接收单, §1-3.7.2) ---------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    part: Part
    quantity: int
    unit_cost: Decimal | None = None


@transaction.atomic
def receive_parts(
    *,
    user: User,
    warehouse: Warehouse,
    lines: list[ReceiptLine],
    supplier: Supplier | None = None,
    delivery_reference: str = "",
    note: str = "",
) -> ReceivingNote:
    """Enter received parts in the ledger under one numbered receiving note; tell the dispatchers
    about backorders that can now be served (§5 第三十六条)."""
    check_keeper(user, warehouse)
    if warehouse.is_van:
        raise UserError(_("车载库不能直接接收入库,请从仓库发放。"), field="warehouse")
    if not lines:
        raise UserError(_("请至少填写一行配件。"), field="lines")
    if any(line.quantity <= 0 for line in lines):
        raise UserError(_("接收数量必须大于 0。"), field="lines")
    receiving = ReceivingNote.objects.create(
        number=allocate_number(kind="parts_receipt", prefix="JS", branch=warehouse.branch),
        warehouse=warehouse,
        supplier=supplier,
        delivery_reference=delivery_reference.strip(),
        received_by=user,
        note=note.strip(),
    )
    ReceivingLine.objects.bulk_create(
        ReceivingLine(
            note=receiving,
            part=line.part,
            quantity=line.quantity,
            unit_cost=line.part.cost if line.unit_cost is None else line.unit_cost,
        )
        for line in lines
    )
    ledger.move(
        [Change(line.part, warehouse, line.quantity) for line in lines],
        kind=MovementKind.RECEIPT,
        actor=user,
        reference=receiving.number,
        at=receiving.received_at,
    )
    mark_backorders_arrived(warehouse=warehouse, part_ids={line.part.pk for line in lines}, note=receiving)
    return receiving


# --- requisitions (备用件领料单, §1-3.6.1, 3.7.4) ------------------------------------------------


def _lock_requisition(requisition_id: int) -> Requisition:
    return (
        Requisition.objects.select_for_update(of=("self",))
        .select_related("warehouse", "branch")
        .get(pk=requisition_id)
    )


@transaction.atomic
def submit_requisition(
    *, user: User, ticket: RepairTicket, warehouse: Warehouse, lines: list[tuple[Part, int]], reason: str
) -> Requisition:
    """The assigned technician asks for parts for an open ticket of theirs."""
    if not (user.is_active and user.has_role(Role.TECHNICIAN) and ticket.technician_id == user.pk):
        raise PermissionDenied(_("只有该工单的技术员可以为其申请领料。"))
    if ticket.state not in OPEN_STATES:
        raise UserError(
            _("工单 %(number)s 已结束,不能再申请领料。") % {"number": ticket.number}, field="ticket"
        )
    if warehouse.is_van or not warehouse.is_active:
        raise UserError(_("请选择发料的仓库。"), field="warehouse")
    if not user.in_branch(warehouse.branch_id) and warehouse.kind != Warehouse.Kind.CENTRAL:
        raise UserError(_("只能向本网点仓库或总部中心库申请领料。"), field="warehouse")
    if not reason.strip():
        raise UserError(_("请填写处理意见(为什么需要这些配件)。"), field="reason")
    merged: dict[int, tuple[Part, int]] = {}
    for part, quantity in lines:
        if quantity <= 0:
            raise UserError(_("配件 %(part)s 的数量必须大于 0。") % {"part": part}, field="lines")
        previous = merged.get(part.pk, (part, 0))[1]
        merged[part.pk] = (part, previous + quantity)
    if not merged:
        raise UserError(_("请至少填写一行配件。"), field="lines")
    requisition = Requisition.objects.create(
        number=allocate_number(kind="parts_requisition", prefix="LL", branch=ticket.branch),
        branch=ticket.branch,
        ticket=ticket,
        requested_by=user,
        technician=user,
        warehouse=warehouse,
        reason=reason.strip(),
    )
    RequisitionLine.objects.bulk_create(
        RequisitionLine(requisition=requisition, part=part, quantity=quantity)
        for part, quantity in merged.values()
    )
    supervisors = User.objects.filter(
        is_active=True, groups__name=Role.SUPERVISOR, branch_id=ticket.branch_id
    )
    notify(
        supervisors,
        kind="parts_requisition",
        subject=Text(gettext_noop("领料单 %(number)s 待审批")) % {"number": requisition.number},
        body=Text(gettext_noop("工单 %(ticket)s,申请人 %(user)s:%(reason)s"))
        % {"ticket": ticket.number, "user": user, "reason": requisition.reason},
        link=requisition.get_absolute_url(),
        key=f"requisition-submitted:{requisition.pk}",
        work_key=f"requisition:{requisition.pk}",
    )
    return requisition


def decide_requisition(*, requisition_id: int, user: User, approve: bool, note: str = "") -> Requisition:
    """Approve or reject: a supervisor of the branch, never the requester (parts.rules.approval_refusal)."""
    note = note.strip()
    if not approve and not note:
        raise UserError(_("驳回时请填写原因。"), field="note")
    with transaction.atomic():
        requisition = _lock_requisition(requisition_id)
        refusal = rules.approval_refusal(
            rules.Actor.of(user), requester_id=requisition.requested_by_id, branch_id=requisition.branch_id
        )
        if refusal:
            raise PermissionDenied(refusal)
        if requisition.state != Requisition.State.SUBMITTED:
            raise UserError(
                _("领料单 %(number)s 当前状态为“%(state)s”,不能再审批。")
                % {"number": requisition.number, "state": requisition.get_state_display()}
            )
        requisition.state = Requisition.State.APPROVED if approve else Requisition.State.REJECTED
        requisition.decided_by = user
        requisition.decided_at = timezone.now()
        requisition.decision_note = note
        requisition.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        record(user, "requisition.approve" if approve else "requisition.reject", requisition, {"note": note})
        mark_work_done(f"requisition:{requisition.pk}")
        notify(
            [requisition.technician],
            kind="parts_requisition",
            subject=(
                Text(gettext_noop("领料单 %(number)s 已批准"))
                if approve
                else Text(gettext_noop("领料单 %(number)s 被驳回"))
            )
            % {"number": requisition.number},
            body=note,
            link=requisition.get_absolute_url(),
            key=f"requisition-decided:{requisition.pk}",
        )
    return requisition


def issue_requisition(*, requisition_id: int, user: User, quantities: dict[int, int]) -> Requisition:
    """The warehouse issues what it has (partial issue allowed) into the technician's van."""
    with transaction.atomic():
        requisition = _lock_requisition(requisition_id)
        check_keeper(user, requisition.warehouse)
        if requisition.state not in ISSUABLE_STATES:
            raise UserError(
                _("领料单 %(number)s 当前状态为“%(state)s”,不能发放。")
                % {"number": requisition.number, "state": requisition.get_state_display()}
            )
        van = van_of(requisition.technician)
        if van is None:
            raise UserError(
                _("技术员 %(name)s 没有车载库,请先在系统管理中建立。") % {"name": requisition.technician}
            )
        # The lines only (of self): also locking the part's catalogue row deadlocked with a delivery of the
        # same part, whose foreign-key check at commit needs that row (tests/parts/test_concurrency.py).
        lines = {
            line.pk: line for line in requisition.lines.select_related("part").select_for_update(of=("self",))
        }
        issued: list[tuple[RequisitionLine, int]] = []
        for line_id, quantity in sorted(quantities.items()):
            if not quantity:
                continue
            line = lines.get(line_id)
            if line is None:
                raise UserError(_("领料单中没有这一行。"), field="lines")
            if quantity < 0 or quantity > line.outstanding:
                raise UserError(
                    _("配件 %(part)s 最多还可发放 %(n)s 件。") % {"part": line.part, "n": line.outstanding},
                    field="lines",
                )
            ledger.transfer(
                part=line.part,
                source=requisition.warehouse,
                target=van,
                quantity=quantity,
                kind=MovementKind.ISSUE,
                actor=user,
                reference=requisition.number,
            )
            line.issued += quantity
            line.save(update_fields=["issued"])
            issued.append((line, quantity))
        if not issued:
            raise UserError(_("请填写本次发放的数量。"), field="lines")
        complete = all(line.outstanding == 0 for line in lines.values())
        requisition.state = Requisition.State.ISSUED if complete else Requisition.State.PARTIALLY_ISSUED
        requisition.save(update_fields=["state"])
        emit_parts_issued(requisition, lines=issued, issued_by=user.username)
    return requisition


RETURNABLE = (Requisition.State.PARTIALLY_ISSUED, Requisition.State.ISSUED)


def return_unused(*, requisition_id: int, user: User, quantities: dict[int, int]) -> Requisition:
    """未用件退库: parts of the requisition the technician did not use go back to the warehouse."""
    with transaction.atomic():
        requisition = _lock_requisition(requisition_id)
        check_keeper(user, requisition.warehouse)
        if requisition.state not in RETURNABLE:
            raise UserError(_("只有已发放的领料单可以退库。"))
        van = van_of(requisition.technician)
        lines = {
            line.pk: line for line in requisition.lines.select_related("part").select_for_update(of=("self",))
        }
        returned_any = False
        for line_id, quantity in sorted(quantities.items()):
            if not quantity:
                continue
            line = lines.get(line_id)
            if line is None:
                raise UserError(_("领料单中没有这一行。"), field="lines")
            if quantity < 0 or quantity > line.issued - line.returned:
                raise UserError(
                    _("配件 %(part)s 最多可退 %(n)s 件。")
                    % {"part": line.part, "n": line.issued - line.returned},
                    field="lines",
                )
            ledger.transfer(
                part=line.part,
                source=van,
                target=requisition.warehouse,
                quantity=quantity,
                kind=MovementKind.RETURN_UNUSED,
                actor=user,
                reference=requisition.number,
            )
            line.returned += quantity
            line.save(update_fields=["returned"])
            returned_any = True
        if not returned_any:
            raise UserError(_("请填写退库数量。"), field="lines")
    return requisition


def close_requisition(*, requisition_id: int, user: User) -> Requisition:
    """结清: nothing more will be issued or returned against it."""
    with transaction.atomic():
        requisition = _lock_requisition(requisition_id)
        check_keeper(user, requisition.warehouse)
        if requisition.state not in RETURNABLE:
            raise UserError(_("只有已发放的领料单可以结清。"))
        requisition.state = Requisition.State.CLOSED
        requisition.save(update_fields=["state"])
    return requisition


# --- consumption and old parts (§1-3.6.2, 3.7.4) ---------------------------------------------------


def record_report_usage(*, ticket: RepairTicket, actor: User) -> list[PartUsage]:
    """When the visit completes (the report is signed), each part line of the report leaves the
    technician's van. A line that cannot (code not in the catalogue, van short of it, no van) does
    not stop the visit from completing: it is recorded as outstanding for the warehouse to settle,
    and the warehouse sees it on its outstanding-usage screen. Called inside the transition's
    transaction (parts.apps connects it to tickets.signals.ticket_transitioned)."""
    report = ticket.reports.filter(visit=ticket.visit_count).first()
    if report is None:
        return []
    technician = ticket.technician or actor
    van = van_of(technician)
    report_parts = list(report.parts.filter(usage__isnull=True).order_by("pk"))
    parts_by_code = {
        part.code: part
        for part in Part.objects.filter(code__in={line.part_code for line in report_parts if line.part_code})
    }
    requisition = (
        Requisition.objects.filter(ticket=ticket, technician=technician, state__in=RETURNABLE)
        .order_by("-pk")
        .first()
    )
    usages = []
    for line in report_parts:
        part = parts_by_code.get(line.part_code)
        usage = PartUsage(
            report_part=line,
            ticket=ticket,
            technician=technician,
            part=part,
            quantity=line.quantity,
            requisition=requisition,
            status=PartUsage.Status.CONSUMED,
        )
        problem: Text | None = None
        if part is None:
            usage.status = PartUsage.Status.OUTSTANDING
            problem = (
                Text(gettext_noop("配件编号 %(code)s 不在配件目录中。")) % {"code": line.part_code}
                if line.part_code
                else Text(gettext_noop("未填写配件编号。"))
            )
        elif van is None:
            usage.status = PartUsage.Status.OUTSTANDING
            problem = Text(gettext_noop("技术员 %(name)s 没有车载库。")) % {"name": technician}
        else:
            try:
                ledger.move(
                    [Change(part, van, -line.quantity)],
                    kind=MovementKind.CONSUMPTION,
                    actor=actor,
                    reference=ticket.number,
                )
            except InsufficientStock as exc:
                usage.status = PartUsage.Status.OUTSTANDING
                problem = exc.text
            except UserError as exc:
                usage.status = PartUsage.Status.OUTSTANDING
                usage.problem = str(exc)
            else:
                usage.warehouse = van
        if problem is not None:
            # The Chinese record, and its code for the reader's language (aftersales.texts).
            usage.problem, usage.problem_message = problem.record(), problem.as_json()
        usage.save()
        if line.old_part_returnable:
            OldPart.objects.create(
                usage=usage,
                branch=ticket.branch,
                technician=technician,
                part=part,
                quantity=line.quantity,
                removed_serial=line.removed_serial,
            )
        else:
            _write_off_if_due(usage)
        usages.append(usage)
    return usages


def write_off_blockers(usage: PartUsage) -> list[str]:
    old_part = getattr(usage, "old_part", None)
    return rules.write_off_blockers(
        report_signed=usage.report_part.report.is_signed,
        leader_approved=usage.ticket.accepted_at is not None,
        old_part_expected=old_part is not None,
        old_part_received=old_part is not None and old_part.state != OldPart.State.EXPECTED,
    )


def _write_off_if_due(usage: PartUsage) -> bool:
    if usage.written_off_at or usage.status == PartUsage.Status.OUTSTANDING or write_off_blockers(usage):
        return False
    usage.written_off_at = timezone.now()
    usage.save(update_fields=["written_off_at"])
    return True


def write_off(*, usage_id: int, user: User) -> PartUsage:
    """销帐 by the warehouse, refused with the reason while the rule is not met."""
    with transaction.atomic():
        usage = (
            PartUsage.objects.select_for_update(of=("self",))
            .select_related("report_part__report", "ticket")
            .get(pk=usage_id)
        )
        _check_branch_keeper(user, usage.ticket.branch_id)
        if usage.written_off_at:
            raise UserError(_("该配件已销帐。"))
        if usage.status == PartUsage.Status.OUTSTANDING:
            raise UserError(_("该配件尚未出库:%(problem)s") % {"problem": usage.problem_text})
        blockers = write_off_blockers(usage)
        if blockers:
            raise UserError(_("不能销帐:") + "".join(blockers))
        _write_off_if_due(usage)
    return usage


def write_off_accepted(*, ticket: RepairTicket) -> list[PartUsage]:
    """The supervisor accepted the ticket (验收, the leader's agreement): write off what is now due.
    Called inside the accept transition (parts.apps)."""
    usages = list(
        PartUsage.objects.filter(ticket=ticket, written_off_at__isnull=True)
        .exclude(status=PartUsage.Status.OUTSTANDING)
        .select_related("report_part__report", "ticket", "old_part")
    )
    return [usage for usage in usages if _write_off_if_due(usage)]


def _check_branch_keeper(user: User, branch_id: int) -> None:
    if not (user.is_active and user.has_role(Role.WAREHOUSE)):
        raise PermissionDenied(_("只有库管可以办理出入库。"))
    if not user.in_branch(branch_id):
        raise PermissionDenied(_("该记录不属于您的网点。"))


def resolve_usage(
    *, usage_id: int, user: User, warehouse: Warehouse | None, part: Part | None, note: str = ""
) -> PartUsage:
    """The warehouse settles an outstanding usage: take it out of a warehouse (with the right
    catalogue part), or record that no stock movement is due (with a reason)."""
    with transaction.atomic():
        usage = PartUsage.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=usage_id)
        _check_branch_keeper(user, usage.ticket.branch_id)
        if usage.status != PartUsage.Status.OUTSTANDING:
            raise UserError(_("该配件耗用已处理。"))
        if warehouse is None:
            if not note.strip():
                raise UserError(_("不出库时请填写原因。"), field="note")
            usage.status = PartUsage.Status.DISMISSED
            usage.problem, usage.problem_message = note.strip(), {}
        else:
            check_keeper(user, warehouse)
            part = part or usage.part
            if part is None:
                raise UserError(_("请选择目录中的配件。"), field="part")
            ledger.move(
                [Change(part, warehouse, -usage.quantity)],
                kind=MovementKind.CONSUMPTION,
                actor=user,
                reference=usage.ticket.number,
                reason=note,
            )
            usage.status = PartUsage.Status.CONSUMED
            usage.part = part
            usage.warehouse = warehouse
        usage.resolved_by = user
        usage.save(update_fields=["status", "problem", "problem_message", "part", "warehouse", "resolved_by"])
        if hasattr(usage, "old_part") and usage.old_part.part_id is None and usage.part_id:
            OldPart.objects.filter(pk=usage.old_part.pk).update(part=usage.part)
        _write_off_if_due(usage)
    return usage


def receive_old_part(*, old_part_id: int, user: User, warehouse: Warehouse) -> OldPart:
    """旧件入库 against the report: the old part enters the warehouse as an old part, and the
    replacement is written off now that both the signed report and the old part are here."""
    with transaction.atomic():
        old_part = (
            OldPart.objects.select_for_update(of=("self",))
            .select_related("usage__report_part__report")
            .get(pk=old_part_id)
        )
        check_keeper(user, warehouse)
        if old_part.state != OldPart.State.EXPECTED:
            raise UserError(_("该旧件已入库。"))
        if warehouse.is_van:
            raise UserError(_("旧件应交回仓库,不能入车载库。"), field="warehouse")
        if old_part.part is None:
            raise UserError(_("该旧件的配件编号不在目录中,请先处理对应的配件耗用。"))
        ledger.move(
            [Change(old_part.part, warehouse, old_part.quantity, Condition.OLD)],
            kind=MovementKind.OLD_PART_IN,
            actor=user,
            reference=old_part.usage.ticket.number,
        )
        old_part.state = OldPart.State.RECEIVED
        old_part.warehouse = warehouse
        old_part.received_by = user
        old_part.received_at = timezone.now()
        old_part.save(update_fields=["state", "warehouse", "received_by", "received_at"])
        usage = old_part.usage
        usage.old_part = old_part
        _write_off_if_due(usage)
    return old_part


DISPOSITIONS = {
    OldPart.State.SCRAPPED: MovementKind.SCRAP,
    OldPart.State.RETURNED: MovementKind.SUPPLIER_RETURN,
}


def dispose_old_part(*, old_part_id: int, user: User, disposition: str, note: str = "") -> OldPart:
    """Monthly processing (§1-3.7.5): a received old part is scrapped or returned to its supplier."""
    if disposition not in DISPOSITIONS:
        raise UserError(_("请选择处理方式。"), field="disposition")
    with transaction.atomic():
        old_part = (
            OldPart.objects.select_for_update(of=("self",))
            .select_related("warehouse", "part")
            .get(pk=old_part_id)
        )
        if old_part.state != OldPart.State.RECEIVED:
            raise UserError(_("只有已入库的旧件可以处理。"))
        check_keeper(user, old_part.warehouse)
        ledger.move(
            [Change(old_part.part, old_part.warehouse, -old_part.quantity, Condition.OLD)],
            kind=DISPOSITIONS[disposition],
            actor=user,
            reference=old_part.usage.ticket.number,
            reason=note,
        )
        old_part.state = disposition
        old_part.disposed_at = timezone.now()
        old_part.disposal_note = note.strip()
        old_part.save(update_fields=["state", "disposed_at", "disposal_note"])
    return old_part


# --- supplier recovery (二次索赔, §1-3.8) ----------------------------------------------------------

CLAIM_MANAGERS = (Role.WAREHOUSE, Role.SUPERVISOR, Role.MANAGER, Role.FINANCE)


def _check_claim_user(user: User, branch_id: int) -> None:
    if not (user.is_active and user.has_role(*CLAIM_MANAGERS)):
        raise PermissionDenied(_("只有库管、服务主任、经理或会计可以办理二次索赔。"))
    if not user.in_branch(branch_id):
        raise PermissionDenied(_("该索赔单不属于您的网点。"))


@transaction.atomic
def create_claim(
    *,
    user: User,
    supplier: Supplier,
    old_part_ids: Iterable[int],
    labour_cost: Decimal = Decimal(0),
    shipping_cost: Decimal = Decimal(0),
    note: str = "",
) -> SupplierClaim:
    """A draft claim grouping received old parts of this supplier; the parts cost is their cost price."""
    branch = user.branch
    if branch is None:
        raise UserError(_("您的账户未分配网点。"))
    _check_claim_user(user, branch.pk)
    old_parts = list(
        OldPart.objects.visible_to(user)
        .select_for_update(of=("self",))
        .filter(pk__in=list(old_part_ids))
        .select_related("part")
    )
    if not old_parts:
        raise UserError(_("请选择要索赔的旧件。"), field="old_parts")
    for old_part in old_parts:
        if old_part.claim_id is not None:
            raise UserError(_("旧件 %(part)s 已在其他索赔单中。") % {"part": old_part}, field="old_parts")
        if old_part.state == OldPart.State.EXPECTED:
            raise UserError(_("旧件 %(part)s 尚未返库,不能索赔。") % {"part": old_part}, field="old_parts")
        if old_part.part is None or old_part.part.supplier_id != supplier.pk:
            raise UserError(_("旧件 %(part)s 不是该供应商的配件。") % {"part": old_part}, field="old_parts")
    if labour_cost < 0 or shipping_cost < 0:
        raise UserError(_("金额不能为负数。"), field="labour_cost")
    claim = SupplierClaim.objects.create(
        number=allocate_number(kind="parts_claim", prefix="SP", branch=branch),
        branch=branch,
        supplier=supplier,
        parts_cost=sum((op.part.cost * op.quantity for op in old_parts), Decimal(0)),
        labour_cost=labour_cost,
        shipping_cost=shipping_cost,
        note=note.strip(),
        created_by=user,
    )
    OldPart.objects.filter(pk__in=[op.pk for op in old_parts]).update(claim=claim)
    return claim


CLAIM_STEPS = {
    # step: (from states, to state, timestamp field)
    "send": ((SupplierClaim.State.DRAFT,), SupplierClaim.State.SENT, "sent_at"),
    "accept": ((SupplierClaim.State.SENT,), SupplierClaim.State.ACCEPTED, "decided_at"),
    "reject": ((SupplierClaim.State.SENT,), SupplierClaim.State.REJECTED, "decided_at"),
    "pay": ((SupplierClaim.State.ACCEPTED,), SupplierClaim.State.PAID, "paid_at"),
}


def advance_claim(*, claim_id: int, user: User, step: str, amount: Decimal | None = None) -> SupplierClaim:
    """draft → sent → accepted → paid (with the amount recovered), or sent → rejected."""
    if step not in CLAIM_STEPS:
        raise UserError(_("未知操作。"))
    sources, target, stamp = CLAIM_STEPS[step]
    with transaction.atomic():
        claim = SupplierClaim.objects.select_for_update().get(pk=claim_id)
        _check_claim_user(user, claim.branch_id)
        if claim.state not in sources:
            raise UserError(
                _("索赔单 %(number)s 当前状态为“%(state)s”,不能执行该操作。")
                % {"number": claim.number, "state": claim.get_state_display()}
            )
        if step == "pay":
            if amount is None or amount <= 0:
                raise UserError(_("请填写索回金额。"), field="amount")
            if amount > claim.total:
                raise UserError(
                    _("索回金额不能超过索赔总额 ¥%(total)s。") % {"total": claim.total}, field="amount"
                )
            claim.amount_recovered = amount
        claim.state = target
        setattr(claim, stamp, timezone.now())
        claim.save()
    return claim


# --- postage of warranty parts (§1-3.6.3) ----------------------------------------------------------

LEADERS = (Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER)


@transaction.atomic
def record_postage(
    *,
    user: User,
    description: str,
    carrier: str,
    amount: Decimal,
    shipped_on,
    tracking_number: str = "",
    ticket: RepairTicket | None = None,
) -> PostageRecord:
    """The handler (经手人) records what was posted and what it cost."""
    if user.branch is None:
        raise UserError(_("您的账户未分配网点。"))
    if amount is None or amount <= 0:
        raise UserError(_("邮费/运费必须大于 0。"), field="amount")
    if not description.strip():
        raise UserError(_("请填写发运内容。"), field="description")
    return PostageRecord.objects.create(
        branch=ticket.branch if ticket else user.branch,
        ticket=ticket,
        description=description.strip(),
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
        amount=amount,
        handler=user,
        shipped_on=shipped_on,
    )


def approve_postage(*, record_id: int, user: User) -> PostageRecord:
    """The leader's signature: a supervisor or manager of the branch, not the handler."""
    with transaction.atomic():
        record = PostageRecord.objects.select_for_update().get(pk=record_id)
        if not (user.is_active and user.has_role(*LEADERS)) or not user.in_branch(record.branch_id):
            raise PermissionDenied(_("邮寄运费须由本网点的服务主任或经理签字。"))
        if record.handler_id == user.pk:
            raise PermissionDenied(_("经手人不能为自己经手的运费签字。"))
        if record.approved_at:
            raise UserError(_("该运费已签字。"))
        record.approved_by = user
        record.approved_at = timezone.now()
        record.save(update_fields=["approved_by", "approved_at"])
    return record


# --- backorders (缺货登记, §5 第三十三~三十六条) -------------------------------------------------

BACKORDER_ROLES = (Role.DISPATCHER, Role.WAREHOUSE, Role.SUPERVISOR)


def _check_backorder_user(user: User, branch_id: int) -> None:
    if not (user.is_active and user.has_role(*BACKORDER_ROLES)):
        raise PermissionDenied(_("只有客服、库管或服务主任可以办理缺货登记。"))
    if not user.in_branch(branch_id):
        raise PermissionDenied(_("该缺货登记不属于您的网点。"))


@transaction.atomic
def register_backorder(
    *, user: User, customer, part: Part, quantity: int, ticket: RepairTicket | None = None, note: str = ""
) -> Backorder:
    """第三十三条: register, then organise the part at once."""
    _check_backorder_user(user, customer.branch_id)
    if quantity <= 0:
        raise UserError(_("数量必须大于 0。"), field="quantity")
    now = timezone.now()
    return Backorder.objects.create(
        branch=customer.branch,
        customer=customer,
        ticket=ticket,
        part=part,
        quantity=quantity,
        note=note.strip(),
        created_by=user,
        created_at=now,
        last_contacted_at=now,
    )


def _lock_backorder(backorder_id: int, user: User) -> Backorder:
    backorder = Backorder.objects.select_for_update(of=("self",)).select_related("part").get(pk=backorder_id)
    _check_backorder_user(user, backorder.branch_id)
    return backorder


def confirm_backorder(*, backorder_id: int, user: User) -> Backorder:
    """第三十四条: stock found; the customer confirms once more before the transfer."""
    with transaction.atomic():
        backorder = _lock_backorder(backorder_id, user)
        if backorder.state != Backorder.State.REGISTERED:
            raise UserError(_("只有已登记的缺货可以确认。"))
        backorder.customer_confirmed_at = backorder.last_contacted_at = timezone.now()
        backorder.save(update_fields=["customer_confirmed_at", "last_contacted_at"])
    return backorder


def order_backorder(*, backorder_id: int, user: User, expected_on) -> Backorder:
    """The part is ordered or transferred, with the confirmed arrival date (第三十三条)."""
    with transaction.atomic():
        backorder = _lock_backorder(backorder_id, user)
        if backorder.state != Backorder.State.REGISTERED:
            raise UserError(_("只有已登记的缺货可以调货。"))
        if backorder.customer_confirmed_at is None:
            raise UserError(_("调货前必须再次联系客户确认(第三十四条)。"))
        if expected_on is None:
            raise UserError(_("请填写确认到货日期。"), field="expected_on")
        backorder.state = Backorder.State.ORDERED
        backorder.expected_on = expected_on
        backorder.save(update_fields=["state", "expected_on"])
    return backorder


def record_backorder_contact(*, backorder_id: int, user: User, note: str = "") -> Backorder:
    """第三十五条: the customer was called, whatever the status."""
    with transaction.atomic():
        backorder = _lock_backorder(backorder_id, user)
        if not backorder.is_open:
            raise UserError(_("该缺货登记已结束。"))
        backorder.last_contacted_at = timezone.now()
        if note.strip():
            backorder.note = note.strip()[:200]
        backorder.save(update_fields=["last_contacted_at", "note"])
    return backorder


def notify_backorder_customer(*, backorder_id: int, user: User) -> Backorder:
    """第三十六条: the part is in; the customer was told to collect it."""
    with transaction.atomic():
        backorder = _lock_backorder(backorder_id, user)
        if backorder.state != Backorder.State.ARRIVED:
            raise UserError(_("配件尚未到货。"))
        backorder.state = Backorder.State.NOTIFIED
        backorder.notified_at = backorder.last_contacted_at = timezone.now()
        backorder.save(update_fields=["state", "notified_at", "last_contacted_at"])
    return backorder


def cancel_backorder(*, backorder_id: int, user: User, note: str) -> Backorder:
    if not note.strip():
        raise UserError(_("请填写取消原因。"), field="note")
    with transaction.atomic():
        backorder = _lock_backorder(backorder_id, user)
        if not backorder.is_open:
            raise UserError(_("该缺货登记已结束。"))
        backorder.state = Backorder.State.CANCELLED
        backorder.note = note.strip()[:200]
        backorder.save(update_fields=["state", "note"])
    return backorder


def branch_dispatchers(branch_id: int):
    return User.objects.filter(is_active=True, groups__name=Role.DISPATCHER, branch_id=branch_id)


def mark_backorders_arrived(
    *, warehouse: Warehouse, part_ids: set[int], note: ReceivingNote
) -> list[Backorder]:
    """A receipt brought a part some customer waits for: mark it arrived and tell the dispatchers."""
    waiting = list(
        Backorder.objects.select_for_update(of=("self",))
        .filter(
            branch_id=warehouse.branch_id,
            part_id__in=part_ids,
            state__in=[Backorder.State.REGISTERED, Backorder.State.ORDERED],
        )
        .select_related("customer", "part")
    )
    now = timezone.now()
    for backorder in waiting:
        backorder.state = Backorder.State.ARRIVED
        backorder.arrived_at = now
        backorder.save(update_fields=["state", "arrived_at"])
        notify(
            branch_dispatchers(backorder.branch_id),
            kind="parts_backorder",
            subject=Text(gettext_noop("缺货已到:%(part)s,请通知客户 %(customer)s 取件"))
            % {"part": backorder.part, "customer": backorder.customer},
            body=Text(gettext_noop("接收单 %(note)s 入库 %(warehouse)s。"))
            % {"note": note.number, "warehouse": warehouse},
            link=reverse("parts:backorders"),
            key=f"backorder-arrived:{backorder.pk}",
        )
    return waiting


# --- stock counts and adjustments ----------------------------------------------------------------


def adjust_stock(
    *, user: User, warehouse: Warehouse, part: Part, counted: int, reason: str, reference: str = ""
) -> int:
    """A count: the level becomes what was counted, through an adjustment row with the reason.
    Returns the adjustment (0: the count agreed, nothing written)."""
    check_keeper(user, warehouse)
    if not reason.strip():
        raise UserError(_("盘点调整必须填写原因。"), field="reason")
    with transaction.atomic():
        current = (
            StockLevel.objects.select_for_update()
            .filter(part=part, warehouse=warehouse, condition=Condition.GOOD)
            .values_list("on_hand", flat=True)
            .first()
            or 0
        )
        difference = rules.count_adjustment(on_hand=current, counted=counted)
        if difference:
            ledger.move(
                [Change(part, warehouse, difference)],
                kind=MovementKind.ADJUSTMENT,
                actor=user,
                reason=reason,
                reference=reference,
            )
    return difference
