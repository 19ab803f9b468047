"""The dispatch board's urgent and self-reported waiting calls, each from its own small partial index
(tickets.views.dispatch_board; issue #19). On PostgreSQL they are built CONCURRENTLY, without locking the
tickets against writes while a large table is read; SQLite (development only) builds them as usual."""

from django.db import migrations, models

INDEXES = [
    models.Index(
        condition=models.Q(("priority", "urgent"), ("state", "reported")),
        fields=["branch", "due_at", "id"],
        name="tickets_urgent_waiting_idx",
    ),
    models.Index(
        condition=models.Q(("channel", "self"), ("state", "reported")),
        fields=["branch", "due_at", "id"],
        name="tickets_self_waiting_idx",
    ),
]


def _concurrently(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def add_indexes(apps, schema_editor):
    model = apps.get_model("tickets", "RepairTicket")
    for index in INDEXES:
        schema_editor.add_index(model, index, **_concurrently(schema_editor))


def remove_indexes(apps, schema_editor):
    model = apps.get_model("tickets", "RepairTicket")
    for index in INDEXES:
        schema_editor.remove_index(model, index, **_concurrently(schema_editor))


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("tickets", "0026_imported_history")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_indexes, remove_indexes)],
            state_operations=[
                migrations.AddIndex(model_name="repairticket", index=index) for index in INDEXES
            ],
        ),
    ]
