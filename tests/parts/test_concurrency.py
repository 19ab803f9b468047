"""Twenty issues of the last ten units at once, on the real PostgreSQL, each on its own connection."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from accounts.models import Role
from parts.ledger import InsufficientStock
from parts.models import Condition, Requisition, StockLevel, StockMovement
from parts.services import decide_requisition, issue_requisition, submit_requisition
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory
from tests.tickets.test_concurrency import race


@pytest.mark.django_db(transaction=True)
def test_twenty_issues_of_ten_units_let_exactly_ten_through(postgres, reference_data, persona, branch_a):
    keeper, supervisor = persona(Role.WAREHOUSE), persona(Role.SUPERVISOR)
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True)
    store = WarehouseFactory(code="SH-STORE", branch=branch_a)
    WarehouseFactory(code="VAN-1", branch=branch_a, kind="van", technician=ticket.technician)
    part = PartFactory(code="CMP-35")
    from parts import ledger

    ledger.move([ledger.Change(part, store, 10)], kind="receipt", actor=keeper, reference="INIT")
    requisitions = []
    for _ in range(20):
        requisition = submit_requisition(
            user=ticket.technician, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="更换压缩机"
        )
        decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
        requisitions.append(requisition)
    line_ids = {r.pk: r.lines.get().pk for r in requisitions}

    outcomes = race(
        *[
            lambda r=r: issue_requisition(requisition_id=r.pk, user=keeper, quantities={line_ids[r.pk]: 1})
            for r in requisitions
        ]
    )

    issued = [o for o in outcomes if isinstance(o, Requisition)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert (len(issued), len(refused)) == (10, 10), outcomes
    assert all("库存不足:配件 CMP-35 压缩机 在 SH-STORE 仓库 仅剩 0 件" in str(o) for o in refused)
    level = StockLevel.objects.get(part=part, warehouse=store, condition=Condition.GOOD)
    ledger_sum = StockMovement.objects.filter(part=part, warehouse=store).aggregate(total=Sum("quantity"))[
        "total"
    ]
    assert level.on_hand == 0 == ledger_sum
    assert Requisition.objects.filter(state=Requisition.State.ISSUED).count() == 10
    assert ledger.discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_an_issue_does_not_wait_for_a_delivery_checking_the_same_part(
    postgres, reference_data, persona, branch_a
):
    """Found by `make soak`: issuing locked the part's catalogue row too (FOR UPDATE through
    select_related), while a delivery of the same part, holding the part's stock level, checks its foreign
    key to that row at commit (FOR KEY SHARE). Each waited for the other; PostgreSQL broke the deadlock
    and the keeper got a server error. The issue must not lock the catalogue row at all."""
    import threading

    from django.db import connection, transaction

    from parts import ledger

    keeper, supervisor = persona(Role.WAREHOUSE), persona(Role.SUPERVISOR)
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True)
    store = WarehouseFactory(code="SH-STORE", branch=branch_a)
    WarehouseFactory(code="VAN-1", branch=branch_a, kind="van", technician=ticket.technician)
    part = PartFactory(code="CMP-35")
    ledger.move([ledger.Change(part, store, 5)], kind="receipt", actor=keeper, reference="INIT")
    requisition = submit_requisition(
        user=ticket.technician, ticket=ticket, warehouse=store, lines=[(part, 1)], reason="更换压缩机"
    )
    decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
    line = requisition.lines.get()
    checking, done = threading.Event(), threading.Event()

    def delivery_committing():  # the foreign key check of a delivery's rows, held open
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM parts_part WHERE id = %s FOR KEY SHARE", [part.pk])
            checking.set()
            done.wait(10)
        connection.close()

    other = threading.Thread(target=delivery_committing)
    other.start()
    try:
        assert checking.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            issued = issue_requisition(requisition_id=requisition.pk, user=keeper, quantities={line.pk: 1})
    finally:
        done.set()
        other.join(10)
    assert issued.state == Requisition.State.ISSUED
