"""The stock ledger: the one place that changes on-hand quantities.

Every change is a `StockMovement` row plus the matching change of its `StockLevel`, in the caller's
transaction. The level rows are locked (SELECT … FOR UPDATE) in a stable order (by primary key) before
they are read, so two issues of the last unit queue behind each other and the second sees 0; two
transfers in opposite directions cannot deadlock. The check constraint on `on_hand` is the second
guard: if a path ever skipped the lock, the database would still refuse to go below zero, and that
refusal is turned into the same "not enough stock" message. No level goes above MAX_QUANTITY either
(aftersales.bounds; a check constraint again behind the message).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from aftersales.bounds import MAX_QUANTITY
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text
from audit.services import record
from parts.models import Condition, MovementKind, Part, StockLevel, StockMovement, Warehouse


class InsufficientStock(Conflict):
    def __init__(
        self, part: Part, warehouse: Warehouse, available: int, condition: str = Condition.GOOD
    ) -> None:
        if condition == Condition.OLD:
            text = Text(gettext_noop("旧件不足:配件 %(part)s 在 %(warehouse)s 仅剩 %(n)s 件旧件。"))
        else:
            text = Text(gettext_noop("库存不足:配件 %(part)s 在 %(warehouse)s 仅剩 %(n)s 件。"))
        # The message code too, for a caller that stores why (a part usage left outstanding).
        self.text = text % {"part": part, "warehouse": warehouse, "n": available}
        super().__init__(str(self.text))
        self.part, self.warehouse, self.available = part, warehouse, available


@dataclass(frozen=True)
class Change:
    """One line of a movement: `quantity` is signed (+ into the warehouse, − out of it)."""

    part: Part
    warehouse: Warehouse
    quantity: int
    condition: str = Condition.GOOD


def _lock_levels(changes: Iterable[Change]) -> dict[tuple[int, int, str], StockLevel]:
    keys = sorted({(c.part.pk, c.warehouse.pk, c.condition) for c in changes})
    for part_id, warehouse_id, condition in keys:
        # Create missing rows first; get_or_create copes with a concurrent insert of the same row.
        StockLevel.objects.get_or_create(part_id=part_id, warehouse_id=warehouse_id, condition=condition)
    wanted = Q()
    for part_id, warehouse_id, condition in keys:
        wanted |= Q(part_id=part_id, warehouse_id=warehouse_id, condition=condition)
    # One statement locks every row, in primary-key order, so opposite transfers cannot deadlock.
    levels = StockLevel.objects.select_for_update().filter(wanted).order_by("pk")
    return {(level.part_id, level.warehouse_id, level.condition): level for level in levels}


def move(
    changes: list[Change], *, kind: str, actor, reference: str = "", reason: str = "", at=None
) -> list[StockMovement]:
    """Apply the changes as one ledger entry (all or nothing) and return the movement rows.

    Raises InsufficientStock, naming the part, the warehouse and what is left, when any line would
    take a warehouse below zero.
    """
    if kind == MovementKind.ADJUSTMENT and not reason.strip():
        raise UserError(_("盘点调整必须填写原因。"))
    if any(change.quantity == 0 for change in changes):
        raise UserError(_("数量不能为 0。"))
    at = at or timezone.now()
    try:
        with transaction.atomic():
            levels = _lock_levels(changes)
            movements = []
            for change in changes:
                level = levels[(change.part.pk, change.warehouse.pk, change.condition)]
                if level.on_hand + change.quantity < 0:
                    raise InsufficientStock(change.part, change.warehouse, level.on_hand, change.condition)
                if level.on_hand + change.quantity > MAX_QUANTITY:
                    raise Conflict(
                        _("库存超出上限:配件 %(part)s 在 %(warehouse)s 最多 %(limit)s 件,现有 %(n)s 件。")
                        % {
                            "part": change.part,
                            "warehouse": change.warehouse,
                            "limit": MAX_QUANTITY,
                            "n": level.on_hand,
                        }
                    )
                level.on_hand += change.quantity
                StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + change.quantity)
                movements.append(
                    StockMovement(
                        part=change.part,
                        warehouse=change.warehouse,
                        condition=change.condition,
                        kind=kind,
                        quantity=change.quantity,
                        balance_after=level.on_hand,
                        actor=actor,
                        at=at,
                        reference=reference,
                        reason=reason.strip(),
                    )
                )
            movements = StockMovement.objects.bulk_create(movements)
            record(
                actor,
                f"stock.{kind}",
                movements[0],
                _entry_details(movements),
                label=MovementKind(kind).label,
            )
            return movements
    except IntegrityError as exc:
        # Second guard: the database refused a negative on-hand.
        change = next((c for c in changes if c.quantity < 0), changes[0])
        available = (
            StockLevel.objects.filter(
                part=change.part, warehouse=change.warehouse, condition=change.condition
            )
            .values_list("on_hand", flat=True)
            .first()
            or 0
        )
        raise InsufficientStock(change.part, change.warehouse, available, change.condition) from exc


def _entry_details(movements: list[StockMovement]) -> dict:
    """A ledger entry in the audit trail: its reference, reason and lines (part, warehouse, ± quantity)."""
    first = movements[0]
    return {
        "reference": first.reference,
        "reason": first.reason,
        "lines": [
            {
                "movement": m.pk,
                "part": str(m.part),
                "warehouse": str(m.warehouse),
                "condition": m.condition,
                "quantity": m.quantity,
                "balance_after": m.balance_after,
            }
            for m in movements
        ],
    }


def transfer(
    *,
    part: Part,
    source: Warehouse,
    target: Warehouse,
    quantity: int,
    kind: str,
    actor,
    reference: str = "",
    reason: str = "",
    condition: str = Condition.GOOD,
) -> list[StockMovement]:
    """Out of `source`, into `target`, as two rows of one entry (issue, return, transfer)."""
    if quantity <= 0:
        raise UserError(_("数量必须大于 0。"))
    if source.pk == target.pk:
        raise UserError(_("调出和调入仓库不能相同。"))
    return move(
        [
            Change(part, source, -quantity, condition),
            Change(part, target, quantity, condition),
        ],
        kind=kind,
        actor=actor,
        reference=reference,
        reason=reason,
    )


def on_hand(part: Part, warehouse: Warehouse, condition: str = Condition.GOOD) -> int:
    return (
        StockLevel.objects.filter(part=part, warehouse=warehouse, condition=condition)
        .values_list("on_hand", flat=True)
        .first()
        or 0
    )


@dataclass(frozen=True)
class Discrepancy:
    part_code: str
    warehouse_code: str
    condition: str
    on_hand: int
    ledger_sum: int

    def __str__(self) -> str:
        return (
            f"{self.warehouse_code} {self.part_code} ({self.condition}): "
            f"on hand {self.on_hand}, ledger {self.ledger_sum}"
        )


def discrepancies() -> list[Discrepancy]:
    """Every level whose on-hand differs from the sum of its ledger rows (the nightly check).

    Two grouped queries, compared in Python: also finds ledger rows whose level row is missing.
    """
    sums = {
        (row["part_id"], row["warehouse_id"], row["condition"]): row["total"]
        for row in StockMovement.objects.values("part_id", "warehouse_id", "condition").annotate(
            total=Sum("quantity")
        )
    }
    levels = {
        (level.part_id, level.warehouse_id, level.condition): level
        for level in StockLevel.objects.select_related("part", "warehouse")
    }
    found = []
    for key in sorted(set(sums) | set(levels)):
        level = levels.get(key)
        stored = level.on_hand if level else 0
        total = sums.get(key, 0)
        if stored != total:
            part = level.part if level else Part.objects.get(pk=key[0])
            warehouse = level.warehouse if level else Warehouse.objects.get(pk=key[1])
            found.append(Discrepancy(part.code, warehouse.code, key[2], stored, total))
    return found
