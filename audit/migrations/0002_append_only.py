"""The audit trail is append-only in the database too: on PostgreSQL a trigger refuses any UPDATE or
DELETE of a row, whatever code (or person at a SQL prompt) tries it, as for the stock ledger
(parts 0002). TRUNCATE, the test runner's way of emptying tables, is a table owner's act outside it.
SQLite, used for development only, relies on the admin (read only) and on the code having no path that
changes a row. The admin role's view permission is granted here as well."""

from django.db import migrations

from accounts.roles import grant

CREATE = """
CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditentry is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def grant_role_permissions(apps, schema_editor=None):
    grant(apps, "audit", {"admin": ["view_auditentry"]})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles"), ("audit", "0001_audit_trail")]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.RunPython(grant_role_permissions, migrations.RunPython.noop),
    ]
