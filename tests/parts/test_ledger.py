"""The stock ledger: on-hand follows the ledger, never goes below zero, and the nightly check finds drift."""

import hypothesis
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Sum
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisDjangoTestCase

from aftersales.errors import UserError
from parts import ledger
from parts.models import MovementKind, StockLevel, StockMovement
from parts.services import adjust_stock


@pytest.mark.django_db
class TestMovements:
    def test_a_receipt_and_a_transfer_keep_every_level_equal_to_its_ledger(
        self, part, store, van, keeper, stock
    ):
        stock(part, store, 10)
        ledger.transfer(
            part=part, source=store, target=van, quantity=3, kind=MovementKind.ISSUE, actor=keeper
        )
        assert ledger.on_hand(part, store) == 7 and ledger.on_hand(part, van) == 3
        for warehouse in (store, van):
            total = StockMovement.objects.filter(warehouse=warehouse).aggregate(total=Sum("quantity"))[
                "total"
            ]
            assert total == ledger.on_hand(part, warehouse)
        assert ledger.discrepancies() == []

    def test_taking_more_than_is_on_hand_is_refused_with_a_clear_message_and_nothing_moves(
        self, part, store, van, keeper, stock
    ):
        stock(part, store, 2)
        with pytest.raises(ledger.InsufficientStock) as refused:
            ledger.transfer(
                part=part, source=store, target=van, quantity=3, kind=MovementKind.ISSUE, actor=keeper
            )
        assert str(refused.value) == "库存不足:配件 CMP-35 压缩机 在 上海服务站仓库 仅剩 2 件。"
        assert ledger.on_hand(part, store) == 2 and ledger.on_hand(part, van) == 0
        assert StockMovement.objects.count() == 1

    def test_the_database_itself_refuses_a_negative_on_hand(self, part, store, stock):
        stock(part, store, 1)
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(part=part, warehouse=store).update(on_hand=-1)

    def test_a_zero_or_unexplained_adjustment_is_refused(self, part, store, keeper):
        with pytest.raises(UserError, match="数量不能为 0"):
            ledger.move([ledger.Change(part, store, 0)], kind=MovementKind.RECEIPT, actor=keeper)
        with pytest.raises(UserError, match="盘点调整必须填写原因"):
            ledger.move([ledger.Change(part, store, 1)], kind=MovementKind.ADJUSTMENT, actor=keeper)

    def test_a_count_books_the_difference_as_an_adjustment_with_its_reason(self, part, store, keeper, stock):
        stock(part, store, 5)
        assert adjust_stock(user=keeper, warehouse=store, part=part, counted=3, reason="月末盘点") == -2
        movement = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
        assert (movement.quantity, movement.reason, movement.balance_after) == (-2, "月末盘点", 3)
        assert adjust_stock(user=keeper, warehouse=store, part=part, counted=3, reason="复盘") == 0
        with pytest.raises(UserError, match="必须填写原因"):
            adjust_stock(user=keeper, warehouse=store, part=part, counted=1, reason=" ")


@pytest.mark.django_db
class TestNightlyCheck:
    def test_the_command_reports_a_level_that_drifted_from_its_ledger(self, part, store, stock, capsys):
        stock(part, store, 4)
        call_command("check_stock_ledger")
        assert "agree" in capsys.readouterr().out
        StockLevel.objects.filter(part=part, warehouse=store).update(on_hand=6)
        with pytest.raises(CommandError, match="1 stock level"):
            call_command("check_stock_ledger")
        assert "SH-STORE CMP-35 (good): on hand 6, ledger 4" in capsys.readouterr().out

    def test_the_task_tells_the_administrators_once_a_day(self, part, store, stock, django_user_model):
        from notifications.models import Notification
        from parts.tasks import check_stock_ledger

        admin = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
        stock(part, store, 4)
        StockLevel.objects.filter(part=part, warehouse=store).update(on_hand=1)
        assert len(check_stock_ledger()) == 1
        check_stock_ledger()
        assert Notification.objects.filter(recipient=admin, kind="parts_ledger").count() == 1


@pytest.mark.django_db
def test_postgresql_refuses_to_change_or_delete_a_ledger_row(postgres, part, store, stock):
    from django.db import InternalError

    stock(part, store, 2)
    movement = StockMovement.objects.get()
    for attempt in (
        lambda: StockMovement.objects.filter(pk=movement.pk).update(quantity=5),
        lambda: StockMovement.objects.filter(pk=movement.pk).delete(),
    ):
        with pytest.raises(InternalError, match="append-only"), transaction.atomic():
            attempt()
    assert StockMovement.objects.get().quantity == 2


class LedgerProperties(HypothesisDjangoTestCase):
    """Any sequence of moves, some refused: every level equals its ledger sum and never goes below 0."""

    @hypothesis.settings(max_examples=25, deadline=None)
    @hypothesis.given(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(-5, 5).filter(bool), st.integers(0, 2)), max_size=25
        )
    )
    def test_levels_follow_the_ledger_and_never_go_negative(self, steps):
        from tests.accounts.factories import UserFactory
        from tests.parts.factories import PartFactory, WarehouseFactory

        actor = UserFactory()
        warehouses = [WarehouseFactory(code=f"PW{i}") for i in range(3)]
        part = PartFactory(code="PROP-1")
        expected = [0, 0, 0]
        for source, quantity, target in steps:
            try:
                if source != target and quantity > 0:
                    ledger.transfer(
                        part=part,
                        source=warehouses[source],
                        target=warehouses[target],
                        quantity=quantity,
                        kind=MovementKind.TRANSFER,
                        actor=actor,
                    )
                    expected[source] -= quantity
                    expected[target] += quantity
                else:
                    ledger.move(
                        [ledger.Change(part, warehouses[source], quantity)],
                        kind=MovementKind.ADJUSTMENT,
                        actor=actor,
                        reason="盘点",
                    )
                    expected[source] += quantity
            except ledger.InsufficientStock:
                taken = quantity if source != target and quantity > 0 else -quantity
                assert expected[source] - taken < 0  # refused only when it would go below zero
            assert min(expected) >= 0
        assert [ledger.on_hand(part, w) for w in warehouses] == expected
        assert ledger.discrepancies() == []
