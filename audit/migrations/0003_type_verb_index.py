"""The index of the audit screen's object-type filter (audit.selectors.object_type_choices). On
PostgreSQL it is built CONCURRENTLY, without locking the table that every change in the system writes
to; SQLite (development only) builds it as usual."""

from django.db import migrations, models

INDEX = models.Index(fields=["object_type", "verb"], name="audit_entry_type_verb_idx")


def add_index(apps, schema_editor):
    model = apps.get_model("audit", "AuditEntry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, INDEX, concurrently=True)
    else:
        schema_editor.add_index(model, INDEX)


def remove_index(apps, schema_editor):
    model = apps.get_model("audit", "AuditEntry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_index, remove_index)],
            state_operations=[migrations.AddIndex(model_name="auditentry", index=INDEX)],
        ),
    ]
