"""Trigram indexes for the ticket list's search (tickets.selectors.filtered_tickets): part of a ticket
number, words of the fault description and a customer's name are found by `icontains`, which Django
writes as UPPER(col::text) LIKE UPPER('%…%'); a GIN index on that expression with gin_trgm_ops serves it
for any substring of three characters or more (Chinese included). Only on PostgreSQL: SQLite scans.

The extension is created here rather than by TrigramExtension, whose backward step queries pg_extension
on every database (SQLite has none, so unapplying the migration failed there); it is left in place on the
way back, as other indexes may use it."""

from django.db import migrations

INDEXES = [
    ("tickets_number_trgm_idx", "tickets_repairticket", "number"),
    ("tickets_fault_trgm_idx", "tickets_repairticket", "fault_description"),
    ("customers_name_trgm_idx", "customers_customer", "name"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_fee_reason"),
        ("customers", "0004_role_permissions"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
