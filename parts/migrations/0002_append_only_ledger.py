"""The stock ledger is append-only in the database too: on PostgreSQL a trigger refuses any UPDATE or
DELETE of a movement row, whatever code (or person at a SQL prompt) tries it. Corrections are new
adjustment rows with a reason. (SQLite, used for development, relies on the admin and services.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION parts_stockmovement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'parts_stockmovement is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER parts_stockmovement_append_only
    BEFORE UPDATE OR DELETE ON parts_stockmovement
    FOR EACH ROW EXECUTE FUNCTION parts_stockmovement_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS parts_stockmovement_append_only ON parts_stockmovement;
DROP FUNCTION IF EXISTS parts_stockmovement_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("parts", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
