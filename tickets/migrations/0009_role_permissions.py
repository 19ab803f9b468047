"""The role groups' permissions on tickets and their history (admin and API)."""

from django.db import migrations

from accounts.roles import grant

VIEW = ["view_repairticket", "view_ticketevent"]
INTAKE = ["add_repairticket", "change_repairticket"]
ROLE_PERMISSIONS = {
    "dispatcher": VIEW + INTAKE,
    "supervisor": VIEW + INTAKE,
    "technician": VIEW + ["change_repairticket"],
    "warehouse": ["view_repairticket"],
    "finance": VIEW,
    "manager": VIEW,
    "general_manager": VIEW,
    "admin": VIEW + INTAKE,
}


def grant_role_permissions(apps, schema_editor=None):
    grant(apps, "tickets", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("tickets", "0008_state_changed_at"),
    ]
    operations = [migrations.RunPython(grant_role_permissions, migrations.RunPython.noop)]
