"""One group per role, with the permissions on this app's models; each app above grants its own in a
migration of its own (`accounts.roles.grant`), so that this one depends on none of them."""

from django.db import migrations

from accounts.roles import grant

ROLE_PERMISSIONS = {
    **{role: ["view_branch"] for role in ["dispatcher", "supervisor", "finance", "manager", "general_manager"]},
    "technician": [],
    "warehouse": [],
    "admin": [f"{action}_{model}" for model in ("branch", "user") for action in ("add", "change", "delete", "view")],
}
GROUP_PERMISSIONS = {"admin": ["view_group", "change_group"]}


def create_role_groups(apps, schema_editor=None):
    grant(apps, "accounts", ROLE_PERMISSIONS)
    grant(apps, "auth", GROUP_PERMISSIONS)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
