"""The role groups' permissions on warranty policies and maintenance contracts (admin)."""

from django.db import migrations

from accounts.roles import grant

VIEW = ["view_warrantypolicy", "view_maintenancecontract"]
ROLE_PERMISSIONS = {
    **{role: VIEW for role in ["dispatcher", "supervisor", "finance", "manager", "general_manager"]},
    "admin": [
        f"{action}_{model}"
        for model in ("warrantypolicy", "maintenancecontract")
        for action in ("add", "change", "delete", "view")
    ],
}


def grant_role_permissions(apps, schema_editor=None):
    grant(apps, "warranty", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("warranty", "0006_move_claims_out"),
    ]
    operations = [migrations.RunPython(grant_role_permissions, migrations.RunPython.noop)]
