"""The tickets' one-column index of the branch dropped (issue #16): the indexes that begin with the branch
serve every lookup by it, and this one led the planner to AND a bitmap of a branch's 400,000 tickets with a
name search's few hundred matches (26 of 31 ms for a company's name at 1,000,000 tickets).

Only the index: Django's AlterField would also drop and re-add the foreign key, which checks every row
again under a lock. CONCURRENTLY on PostgreSQL, so that writes go on while it waits for running reads."""

from django.db import migrations, models
import django.db.models.deletion

INDEX = "tickets_repairticket_branch_id_dd1f4f72"  # Django's name for the field's index, on every database


def _concurrently(schema_editor) -> str:
    return "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {_concurrently(schema_editor)}IF EXISTS {INDEX}")


def create_index(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX {_concurrently(schema_editor)}IF NOT EXISTS {INDEX} ON tickets_repairticket (branch_id)"
    )


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0007_user_source_wecom_userid_sessions_ended_at"),
        ("tickets", "0028_number_ends"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_index, create_index)],
            state_operations=[
                migrations.AlterField(
                    model_name="repairticket",
                    name="branch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.branch",
                        verbose_name="网点",
                    ),
                ),
            ],
        ),
    ]
