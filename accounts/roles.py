"""The role groups' model permissions (admin and API), granted by each app in its own migration so
that accounts/, the lowest layer, names no app above it."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions


def grant(apps, app_label: str, permissions_by_role: dict[str, list[str]]) -> None:
    """Give each role group the named permissions (codenames) of `app_label`; idempotent, so the tests
    that flush the database call it again with the live app registry."""
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in permissions_by_role.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
