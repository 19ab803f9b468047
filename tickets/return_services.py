"""Write paths of the return to factory (返厂 / 送修) around the ticket's transitions.

Each function runs the transition through `apply_transition` (row lock, version check, permission,
history row) and writes the register, receipt and tag rows in the same transaction: either the ticket
moves and the paperwork exists, or neither happens.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import DocumentSequence, Role, User
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text, record
from notifications.services import notify
from tickets.models import (
    GoodsRegisterEntry,
    OutKind,
    PickupReceipt,
    RepairTag,
    RepairTicket,
    State,
    TicketEvent,
    event_note,
)
from tickets.report_services import check_signature, check_signer
from tickets.services import apply_transition
from tickets.signals import tell_customer

# Transitions that only run through the services below (they write the register, receipt and tag).
RETURN_PATHS = frozenset({"approve_return", "finish_factory_repair", "hand_over"})
# States in which a ticket has (or had) an item in the house: its receipt and tag are offered.
GOODS_STATES = frozenset(
    {State.IN_FACTORY, State.AWAITING_PICKUP, State.AWAITING_ACCEPTANCE, State.ACCEPTED, State.CLOSED}
)


def entry_for_page(ticket: RepairTicket) -> GoodsRegisterEntry | None:
    """The latest goods-in entry for the ticket's page, whose events are loaded already
    (`RepairTicket.objects.for_detail`): approve_return writes each entry with a goods_in event, so a
    ticket whose events hold none (most never went to the factory) needs no query."""
    if ticket.state not in GOODS_STATES or not any(
        event.action == "goods_in" for event in ticket.events.all()
    ):
        return None
    return latest_entry(ticket)


def latest_entry(ticket: RepairTicket) -> GoodsRegisterEntry | None:
    return (
        GoodsRegisterEntry.objects.filter(ticket=ticket)
        .select_related("receipt", "tag")
        .order_by("-in_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class GoodsIn:
    item_description: str = ""
    accessories: str = ""
    condition: str = ""


def approve_return(
    *, ticket_id: int, user: User, expected_version: int | None, goods: GoodsIn, note: str = ""
) -> GoodsRegisterEntry:
    """Supervisor approves (§3 第十条): goods-in entry, pickup receipt and repair tag, with the transition."""
    with transaction.atomic():
        ticket = apply_transition(
            ticket_id=ticket_id,
            user=user,
            name="approve_return",
            expected_version=expected_version,
            note=note,
        )
        ticket = RepairTicket.objects.select_related("unit__product_model", "branch").get(pk=ticket.pk)
        description = (
            goods.item_description.strip() or f"{ticket.unit.product_model} {ticket.unit.serial_number}"
        )
        entry = GoodsRegisterEntry.objects.create(
            number=DocumentSequence.document_number(kind="goods_in", prefix="GI", branch=ticket.branch),
            branch=ticket.branch,
            ticket=ticket,
            item_description=description,
            accessories=goods.accessories.strip(),
            condition=goods.condition.strip(),
            received_by=user,
        )
        receipt = PickupReceipt.objects.create(
            number=DocumentSequence.document_number(kind="pickup", prefix="RC", branch=ticket.branch),
            entry=entry,
        )
        RepairTag.objects.create(entry=entry)
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            action="goods_in",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(
                Text(gettext_noop("商品入库登记 %(entry)s,领取收据 %(receipt)s。"))
                % {"entry": entry.number, "receipt": receipt.number}
            ),
            data={"entry": entry.pk, "receipt": receipt.number},
        )
    return entry


def _locked_open_entry(ticket_id: int) -> GoodsRegisterEntry:
    entry = (
        GoodsRegisterEntry.objects.select_for_update(of=("self",))
        .select_related("receipt", "tag")
        .filter(ticket_id=ticket_id, out_at__isnull=True)
        .first()
    )
    if entry is None:
        raise Conflict(_("该工单没有在库的客户商品登记,请联系服务主任核对登记簿。"))
    return entry


@dataclass(frozen=True)
class FactoryRepair:
    work_done: str
    labour_hours: Decimal
    parts_used: str
    inspection_note: str
    inspector: User | None


def finish_factory_repair(
    *, ticket_id: int, user: User, expected_version: int | None, repair: FactoryRepair
) -> RepairTag:
    """The repair tag gets hours, parts and the supervisor's inspection; the customer is told at once."""
    if repair.labour_hours is None or repair.labour_hours < 0:
        raise UserError(_("请填写工时(不能为负数)。"), field="labour_hours")
    if not repair.inspection_note.strip():
        raise UserError(_("请填写服务主任的验收意见。"), field="inspection_note")
    inspector = repair.inspector
    if inspector is None or not inspector.is_active or not inspector.has_role(Role.SUPERVISOR):
        raise UserError(_("请选择验收的服务主任。"), field="inspector")
    with transaction.atomic():
        ticket = apply_transition(
            ticket_id=ticket_id,
            user=user,
            name="finish_factory_repair",
            expected_version=expected_version,
            note=repair.work_done,
        )
        if not inspector.in_branch(ticket.branch_id):
            raise UserError(_("验收的服务主任必须属于工单所在网点。"), field="inspector")
        tag = _locked_open_entry(ticket.pk).tag
        tag.work_done = repair.work_done.strip()
        tag.labour_hours = repair.labour_hours
        tag.parts_used = repair.parts_used.strip()
        tag.inspection_note = repair.inspection_note.strip()
        tag.inspected_by = inspector
        tag.finished_at = timezone.now()
        tag.save()
        # §5 第二十七条: the customer is told at once; the reminder schedule belongs to the SLA sweeps.
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            action="notify_pickup",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(
                Text(gettext_noop("已修复,通知客户凭领取收据 %(receipt)s 取件。"))
                % {"receipt": tag.entry.receipt.number}
            ),
            data={"notice": 1},
        )
        send_pickup_notice(ticket, 1)
    return tag


def pickup_notice_text(ticket: RepairTicket, notice: int) -> Text:
    """The customer's SMS (sent in Chinese, as its record)."""
    return Text(
        gettext_noop(
            "【售后服务】您送修的%(product)s(工单 %(number)s)已修好,请凭领取收据到%(branch)s取件(第 %(notice)d 次通知)。"
        )
    ) % {
        "product": ticket.unit.product_model.name,
        "number": ticket.number,
        "branch": ticket.branch.name,
        "notice": notice,
    }


def send_pickup_notice(ticket: RepairTicket, notice: int) -> None:
    """The customer is told by SMS; the dispatchers get the same notice to phone those without one."""
    tell_customer(
        ticket, kind="pickup", key=f"pickup:{ticket.pk}:{notice}", text=pickup_notice_text(ticket, notice)
    )
    notify(
        User.objects.filter(is_active=True, branch_id=ticket.branch_id, groups__name=Role.DISPATCHER),
        kind="pickup",
        subject=Text(gettext_noop("请通知客户取件:%(number)s(第 %(notice)d 次)"))
        % {"number": ticket.number, "notice": notice},
        link=ticket.get_absolute_url(),
        key=f"pickup:{ticket.pk}:{notice}",
    )


def hand_over(
    *, ticket_id: int, user: User, expected_version: int | None, signer_name: str, signature_png: bytes
) -> GoodsRegisterEntry:
    """The customer collects the item and signs; the pickup receipt is voided, the entry goes out."""
    check_signature(signature_png)
    with transaction.atomic():
        ticket = apply_transition(
            ticket_id=ticket_id, user=user, name="hand_over", expected_version=expected_version
        )
        signer_name = check_signer(signer_name, user)
        entry = _locked_open_entry(ticket.pk)
        receipt = entry.receipt
        receipt.signer_name = signer_name
        receipt.signature.save(f"{receipt.number}.png", ContentFile(signature_png), save=False)
        _release_goods(
            ticket,
            entry,
            user,
            kind=OutKind.HANDED_OVER,
            void_reason=record(Text(gettext_noop("客户已签字领取"))),
            note=Text(gettext_noop("%(name)s 签字领取,收据 %(receipt)s 作废。"))
            % {"name": signer_name, "receipt": receipt.number},
            data={"signature_sha256": hashlib.sha256(signature_png).hexdigest()},
        )
    return entry


def ship_back(
    *, ticket_id: int, user: User, expected_version: int | None, tracking_number: str
) -> GoodsRegisterEntry:
    """Shipped back to the customer (§5 第二十八条) with a tracking number; the receipt is voided."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise UserError(_("寄回客户须填写运单号。"), field="tracking_number")
    with transaction.atomic():
        ticket = apply_transition(
            ticket_id=ticket_id,
            user=user,
            name="hand_over",
            expected_version=expected_version,
            note=Text(gettext_noop("寄回客户,运单号 %(number)s")) % {"number": tracking_number},
        )
        entry = _locked_open_entry(ticket.pk)
        entry.tracking_number = tracking_number
        void_reason = record(Text(gettext_noop("已寄回客户,运单号 %(number)s")) % {"number": tracking_number})
        _release_goods(
            ticket,
            entry,
            user,
            kind=OutKind.SHIPPED_BACK,
            void_reason=void_reason,
            note=void_reason,
            data={"tracking_number": tracking_number},
        )
    return entry


def _release_goods(
    ticket,
    entry: GoodsRegisterEntry,
    user: User,
    *,
    kind: str,
    void_reason: str,
    note: str | Text,
    data: dict,
) -> None:
    """The item leaves the register (handed over or shipped back): receipt voided, goods-out row, history."""
    now = timezone.now()
    receipt = entry.receipt
    receipt.voided_at = now
    receipt.void_reason = void_reason
    receipt.save()
    entry.out_at = now
    entry.out_kind = kind
    entry.out_by = user
    entry.save()
    TicketEvent.objects.create(
        ticket=ticket,
        actor=user,
        at=now,
        action="goods_out",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"entry": entry.pk, **data},
        **event_note(note),
    )
