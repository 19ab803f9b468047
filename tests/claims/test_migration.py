"""The claims, their approvals and fee records moved from the warranty app to the claims app
(warranty.0006 renames the tables, claims.0001 takes the models into its state): a database that
held claims before the move holds the same rows after it, under the new app."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [("warranty", "0005_claim_idempotency_key"), ("claims", None)]


def migrate(targets):
    """Migrate to `targets`; the models as the applied migrations left them."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it(reference_data):
    old = migrate(BEFORE_THE_MOVE)
    ContentType = old.get_model("contenttypes", "ContentType")
    # A database of that time had no content types for the claims app yet.
    ContentType.objects.filter(app_label="claims").delete()
    ContentType.objects.get_or_create(app_label="warranty", model="claim")
    Branch = old.get_model("accounts", "Branch")
    branch = Branch.objects.create(code="MV", name="迁移测试网点")
    rule = old.get_model("warranty", "ApprovalRule").objects.create(branch=branch, threshold=Decimal("2000"))
    old.get_model("warranty", "ApprovalLevel").objects.create(rule=rule, position=1, role="supervisor")
    User = old.get_model("accounts", "User")
    filer = User.objects.create(username="mover", branch=branch)
    customer = old.get_model("customers", "Customer").objects.create(
        name="迁移客户", address="上海", branch=branch
    )
    policy = old.get_model("warranty", "WarrantyPolicy").objects.get(slug="manufacturer")
    product = old.get_model("customers", "ProductModel").objects.create(
        code="MV-1", name="迁移机型", category="appliance", warranty_policy=policy
    )
    unit = old.get_model("customers", "Unit").objects.create(
        owner=customer, product_model=product, serial_number="MV0001", purchase_date=datetime.date(2026, 1, 5)
    )
    now = datetime.datetime(2026, 11, 1, 8, tzinfo=datetime.UTC)
    ticket = old.get_model("tickets", "RepairTicket").objects.create(
        number="MV-20261101-0001",
        branch=branch,
        customer=customer,
        unit=unit,
        fault_description="不制冷",
        fault_category="appliance",
        reported_at=now,
        reported_by=filer,
        due_at=now + datetime.timedelta(days=1),
    )
    claim = old.get_model("warranty", "Claim").objects.create(
        number="MV-C-1",
        branch=branch,
        ticket=ticket,
        kind="cash",
        amount=Decimal("380.00"),
        reason="停机损失",
        submitted_by=filer,
        submitted_at=now,
        threshold=Decimal("2000"),
        is_large=False,
        levels=["supervisor"],
        awaiting_role="supervisor",
        current_level=1,
    )

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = new.get_model("claims", "Claim").objects.get(pk=claim.pk)
    assert (moved.number, moved.amount, moved.ticket_id, moved.awaiting_role) == (
        "MV-C-1",
        Decimal("380.00"),
        ticket.pk,
        "supervisor",
    )
    moved_rule = new.get_model("claims", "ApprovalRule").objects.get(pk=rule.pk)
    assert [level.role for level in moved_rule.levels.all()] == ["supervisor"]
    content_type = new.get_model("contenttypes", "ContentType").objects.get(model="claim")
    assert content_type.app_label == "claims"
    tables = connection.introspection.table_names()
    assert "claims_claim" in tables and "warranty_claim" not in tables
    # New rows get the next ids: the sequences followed the renamed tables.
    second = new.get_model("claims", "ApprovalRule").objects.create(branch=None, threshold=Decimal("1"))
    assert second.pk > rule.pk


@pytest.mark.django_db(transaction=True)
def test_tickets_quoted_before_quoted_fee_existed_get_their_latest_quote(reference_data):
    """claims.0004: the report's fee step starts from RepairTicket.quoted_fee, filled from the quotes."""
    old = migrate([("claims", "0003_reassign_and_withdraw"), ("tickets", "0015_fee_reason")])
    branch = old.get_model("accounts", "Branch").objects.create(code="QF", name="告知测试网点")
    user = old.get_model("accounts", "User").objects.create(username="quoter", branch=branch)
    customer = old.get_model("customers", "Customer").objects.create(
        name="客户", address="上海", branch=branch
    )
    policy = old.get_model("warranty", "WarrantyPolicy").objects.get(slug="manufacturer")
    product = old.get_model("customers", "ProductModel").objects.create(
        code="QF-1", name="机型", category="appliance", warranty_policy=policy
    )
    now = datetime.datetime(2026, 11, 1, 8, tzinfo=datetime.UTC)
    tickets = []
    for number in range(2):
        unit = old.get_model("customers", "Unit").objects.create(
            owner=customer,
            product_model=product,
            serial_number=f"QF000{number}",
            purchase_date=datetime.date(2026, 1, 5),
        )
        tickets.append(
            old.get_model("tickets", "RepairTicket").objects.create(
                number=f"QF-20261101-000{number}",
                branch=branch,
                customer=customer,
                unit=unit,
                fault_description="不制冷",
                fault_category="appliance",
                reported_by=user,
                due_at=now,
            )
        )
    FeeQuote = old.get_model("claims", "FeeQuote")
    for amount, hours in (("150.00", 0), ("180.00", 1)):
        FeeQuote.objects.create(
            ticket=tickets[0],
            amount=Decimal(amount),
            description="上门费",
            agreed_by="客户",
            told_by=user,
            told_at=now + datetime.timedelta(hours=hours),
        )

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    RepairTicket = new.get_model("tickets", "RepairTicket")
    assert RepairTicket.objects.get(pk=tickets[0].pk).quoted_fee == Decimal("180.00")
    assert RepairTicket.objects.get(pk=tickets[1].pk).quoted_fee is None
