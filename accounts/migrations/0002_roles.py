"""One group per role, with the model permissions the role needs in the admin and the API."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "customers.view_customer", "customers.view_customerphone", "customers.view_productmodel", "customers.view_unit",
    "tickets.view_repairticket", "tickets.view_ticketevent",
    "warranty.view_warrantypolicy", "warranty.view_maintenancecontract",
    "accounts.view_branch",
]
INTAKE = [
    "customers.add_customer", "customers.change_customer", "customers.add_customerphone",
    "customers.change_customerphone", "customers.add_unit", "customers.change_unit",
    "tickets.add_repairticket", "tickets.change_repairticket",
]
ROLE_PERMISSIONS = {
    "dispatcher": VIEW_ALL + INTAKE,
    "technician": ["customers.view_customer", "customers.view_unit", "customers.view_productmodel",
                   "tickets.view_repairticket", "tickets.change_repairticket", "tickets.view_ticketevent"],
    "supervisor": VIEW_ALL + INTAKE,
    "warehouse": ["customers.view_productmodel", "customers.view_unit", "tickets.view_repairticket"],
    "finance": VIEW_ALL,
    "manager": VIEW_ALL,
    "general_manager": VIEW_ALL,
    "admin": VIEW_ALL + INTAKE + [
        f"{app}.{action}_{model}"
        for app, model in [("accounts", "branch"), ("accounts", "user"), ("customers", "productmodel"),
                           ("warranty", "warrantypolicy"), ("warranty", "maintenancecontract")]
        for action in ("add", "change", "delete", "view")
    ] + ["auth.view_group", "auth.change_group"],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    assign_role_permissions(apps)


def assign_role_permissions(apps):
    """Idempotent; tests that flush the database call it again with the live app registry."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0002_initial"),
        ("tickets", "0001_initial"),
        ("warranty", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
