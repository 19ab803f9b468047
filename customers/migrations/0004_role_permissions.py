"""The role groups' permissions on customers, units and product models (admin and API)."""

from django.db import migrations

from accounts.roles import grant

VIEW = ["view_customer", "view_customerphone", "view_productmodel", "view_unit"]
INTAKE = ["add_customer", "change_customer", "add_customerphone", "change_customerphone", "add_unit", "change_unit"]
ROLE_PERMISSIONS = {
    "dispatcher": VIEW + INTAKE,
    "supervisor": VIEW + INTAKE,
    "technician": ["view_customer", "view_unit", "view_productmodel"],
    "warehouse": ["view_productmodel", "view_unit"],
    "finance": VIEW,
    "manager": VIEW,
    "general_manager": VIEW,
    "admin": VIEW + INTAKE + ["add_productmodel", "change_productmodel", "delete_productmodel"],
}


def grant_role_permissions(apps, schema_editor=None):
    grant(apps, "customers", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("customers", "0003_list_and_search_indexes"),
    ]
    operations = [migrations.RunPython(grant_role_permissions, migrations.RunPython.noop)]
