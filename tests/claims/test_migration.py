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
def test_a_database_of_before_the_move_keeps_its_claims_and_gets_its_latest_quotes(reference_data):
    """One trip back and forward through the graph (a trip took 24–42 s): the claims written before the
    move are read after it (warranty.0006 renames the tables, claims.0001 takes the models), and tickets
    quoted before quoted_fee existed get their latest quote (claims.0004: the report's fee step starts
    from RepairTicket.quoted_fee)."""
    claim, rule, ticket = write_a_claim_before_the_move(migrate(BEFORE_THE_MOVE))
    quoted, unquoted = write_quotes_before_quoted_fee(migrate([("claims", "0003_reassign_and_withdraw")]))

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
    RepairTicket = new.get_model("tickets", "RepairTicket")
    assert RepairTicket.objects.get(pk=quoted.pk).quoted_fee == Decimal("180.00")
    assert RepairTicket.objects.get(pk=unquoted.pk).quoted_fee is None


def write_a_claim_before_the_move(old):
    """A claim with its approval rule, as the warranty app held them."""
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
    return claim, rule, ticket


def write_quotes_before_quoted_fee(old):
    """Two tickets: one told two fees (150, then 180), one told none."""
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
    return tickets
