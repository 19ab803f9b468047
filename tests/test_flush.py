"""The flush after each transactional test (`flush_by_delete` in tests/conftest.py) leaves every table
empty, the append-only ones too, and their guards on again for the next test."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from tests.conftest import require
from tests.tickets.factories import TicketFactory


def rows_left() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return {table: count for table, count in counts.items() if count}


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_every_table_and_puts_the_guards_back(reference_data):
    require(connection.vendor == "postgresql", "PostgreSQL: set DATABASE_URL=postgres://…")
    TicketFactory(dispatched=True)  # rows in many tables linked by foreign keys
    AuditEntry.objects.create(verb="test", verb_label="测试")  # a row the trigger refuses to delete
    assert len(rows_left()) > 10

    # As Django's TransactionTestCase does it after each test.
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True)

    assert rows_left() == {}
    AuditEntry.objects.create(verb="test", verb_label="测试")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
