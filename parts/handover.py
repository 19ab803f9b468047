"""移交 (seed §6 人事管理: 移交手续, 移交清册): a technician who leaves or moves hands every open item
to a named successor, under the supervisor's eye (监交人); until then the account stays active."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from aftersales.errors import UserError
from aftersales.texts import Text, record
from audit.services import record as record_audit
from parts import ledger
from parts.models import (
    Handover,
    HandoverItem,
    MovementKind,
    OldPart,
    Requisition,
    StockLevel,
    Warehouse,
)
from parts.services import allocate_number, van_of
from tickets.models import TECHNICIAN_ACTIVE_STATES, RepairTicket, State, TicketEvent, event_note

# Tickets that still need their technician: active work, and a return request that may come back.
HANDOVER_TICKET_STATES = (*TECHNICIAN_ACTIVE_STATES, State.RMA_REQUESTED)
OPEN_REQUISITION_STATES = (
    Requisition.State.SUBMITTED,
    Requisition.State.APPROVED,
    Requisition.State.PARTIALLY_ISSUED,
    Requisition.State.ISSUED,
)


@dataclass(frozen=True)
class OpenItem:
    kind: str
    object_id: int
    description: str
    quantity: int = 1

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.object_id}"

    @property
    def kind_label(self) -> str:
        return HandoverItem.Kind(self.kind).label


def open_items(user: User) -> list[OpenItem]:
    """Everything still on this technician: the handover list (移交清册) before it is transferred."""
    items = [
        OpenItem(HandoverItem.Kind.TICKET, t.pk, f"{t.number} {t.get_state_display()} {t.customer.name}")
        for t in RepairTicket.objects.filter(technician=user, state__in=HANDOVER_TICKET_STATES)
        .select_related("customer")
        .order_by("pk")
    ]
    items += [
        OpenItem(HandoverItem.Kind.STOCK, level.pk, f"{level.warehouse.code} {level.part}", level.on_hand)
        for level in StockLevel.objects.filter(warehouse__technician=user, on_hand__gt=0)
        .select_related("part", "warehouse")
        .order_by("pk")
    ]
    items += [
        OpenItem(HandoverItem.Kind.REQUISITION, r.pk, f"{r.number} {r.get_state_display()} {r.ticket.number}")
        for r in Requisition.objects.filter(technician=user, state__in=OPEN_REQUISITION_STATES)
        .select_related("ticket")
        .order_by("pk")
    ]
    items += [
        OpenItem(
            HandoverItem.Kind.OLD_PART,
            op.pk,
            f"{op.usage.ticket.number} {op.part or op.usage.report_part.part_name}",
            op.quantity,
        )
        for op in OldPart.objects.filter(technician=user, state=OldPart.State.EXPECTED)
        .select_related("part", "usage__ticket", "usage__report_part")
        .order_by("pk")
    ]
    return items


def deactivation_refusal(user: User) -> str | None:
    """Why this account may not be deactivated yet, or None."""
    remaining = open_items(user)
    if not remaining:
        return None
    return _("%(name)s 还有 %(n)s 项未移交(工单、车载库存、领料单或待返旧件),请先办理移交手续。") % {
        "name": user,
        "n": len(remaining),
    }


def check_supervisor(supervisor: User, technician: User) -> None:
    if not (supervisor.is_active and supervisor.has_role(Role.SUPERVISOR)):
        raise PermissionDenied(_("只有服务主任可以监交。"))
    if technician.branch_id is None or not supervisor.in_branch(technician.branch_id):
        raise PermissionDenied(_("该技术员不属于您的网点。"))
    if supervisor.pk == technician.pk:
        raise PermissionDenied(_("不能为自己监交。"))


def perform_handover(
    *, technician: User, supervisor: User, reason: str, successors: dict[str, User]
) -> Handover:
    """Transfer every open item to its successor (keys are OpenItem.key), signed by the supervisor.

    Tickets are reassigned with a history row, van stock moves through the ledger into the
    successor's van, requisitions and expected old parts follow. All or nothing.
    """
    check_supervisor(supervisor, technician)
    if not reason.strip():
        raise UserError(_("请填写移交原因。"), field="reason")
    with transaction.atomic():
        items = open_items(technician)
        if not items:
            raise UserError(_("%(name)s 没有需要移交的事项。") % {"name": technician})
        missing = [item for item in items if successors.get(item.key) is None]
        if missing:
            raise UserError(
                _("还有 %(n)s 项未指定接替人,例如:%(item)s。")
                % {"n": len(missing), "item": missing[0].description},
                field="successors",
            )
        for successor in {s.pk: s for s in successors.values()}.values():
            if (
                successor.pk == technician.pk
                or not successor.is_active
                or not successor.has_role(Role.TECHNICIAN)
            ):
                raise UserError(
                    _("接替人 %(name)s 不是在岗技术员。") % {"name": successor}, field="successors"
                )
            if successor.branch_id != technician.branch_id:
                raise UserError(
                    _("接替人 %(name)s 不属于同一网点。") % {"name": successor}, field="successors"
                )
        now = timezone.now()
        handover = Handover.objects.create(
            number=allocate_number(kind="parts_handover", prefix="YJ", branch=technician.branch),
            branch=technician.branch,
            technician=technician,
            reason=reason.strip(),
            created_by=supervisor,
            created_at=now,
            signed_by=supervisor,
            signed_at=now,
        )
        for item in items:
            successor = successors[item.key]
            _transfer(
                item, technician=technician, successor=successor, supervisor=supervisor, handover=handover
            )
            HandoverItem.objects.create(
                handover=handover,
                kind=item.kind,
                object_id=item.object_id,
                description=item.description[:200],
                quantity=item.quantity,
                successor=successor,
            )
    return handover


def _transfer(
    item: OpenItem, *, technician: User, successor: User, supervisor: User, handover: Handover
) -> None:
    if item.kind == HandoverItem.Kind.TICKET:
        ticket = RepairTicket.objects.select_for_update().get(pk=item.object_id)
        RepairTicket.objects.filter(pk=ticket.pk).update(technician=successor, version=F("version") + 1)
        TicketEvent.objects.create(
            ticket=ticket,
            actor=supervisor,
            action="dispatch",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(
                Text(gettext_noop("移交(%(number)s):%(old)s → %(new)s"))
                % {"number": handover.number, "old": technician, "new": successor}
            ),
            data={"technician": successor.pk, "technician_name": str(successor), "handover": handover.pk},
        )
        details = {"technician": [str(technician), str(successor)], "handover": handover.number}
        record_audit(supervisor, "ticket.handover", ticket, details)
    elif item.kind == HandoverItem.Kind.STOCK:
        level = StockLevel.objects.select_related("part", "warehouse").get(pk=item.object_id)
        target = van_of(successor)
        if target is None:
            raise UserError(
                _("接替人 %(name)s 没有车载库,不能接收库存。") % {"name": successor}, field="successors"
            )
        ledger.transfer(
            part=level.part,
            source=level.warehouse,
            target=target,
            quantity=item.quantity,
            kind=MovementKind.TRANSFER,
            actor=supervisor,
            reference=handover.number,
            reason=record(Text(gettext_noop("移交"))),
            condition=level.condition,
        )
    elif item.kind == HandoverItem.Kind.REQUISITION:
        Requisition.objects.filter(pk=item.object_id).update(technician=successor)
    else:
        OldPart.objects.filter(pk=item.object_id).update(technician=successor)


def deactivate(*, user: User, by: User) -> None:
    """Deactivate a technician's account once nothing is left on them."""
    if not (by.is_superuser or by.has_role(Role.ADMIN, Role.SUPERVISOR)) or not (
        user.branch_id and by.in_branch(user.branch_id)
    ):
        raise PermissionDenied(_("您不能停用该账号。"))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        refusal = deactivation_refusal(locked)
        if refusal:
            raise UserError(refusal)
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        locked.end_access()
        record_audit(by, "auth.deactivate", locked, {"is_active": [True, False]})
        Warehouse.objects.filter(technician=locked, kind=Warehouse.Kind.VAN).update(is_active=False)


def handover_candidates(supervisor: User):
    """Technicians whose work this supervisor may hand over."""
    technicians = User.objects.filter(groups__name=Role.TECHNICIAN, is_active=True).exclude(pk=supervisor.pk)
    if not supervisor.sees_all_branches:
        technicians = technicians.filter(branch_id=supervisor.branch_id)
    return technicians.select_related("branch").order_by("username")
