"""Append-only tables in the database itself (the stock ledger, the audit trail): on PostgreSQL a trigger
refuses any UPDATE or DELETE of a row, whatever code (or person at a SQL prompt) tries it. TRUNCATE, and
the test runner's flush with triggers switched off (tests/conftest.py), are a superuser's acts outside it.
SQLite, used for development only, relies on the admin (read only) and on the code having no path that
changes a row."""

from __future__ import annotations

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {table}_append_only();
"""


def append_only_trigger(table: str) -> migrations.RunPython:
    """A migration operation that makes `table` append-only on PostgreSQL (and undoes it backwards)."""

    def run(sql: str):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql.format(table=table))

        return operation

    return migrations.RunPython(run(CREATE), run(DROP))
