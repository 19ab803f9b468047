"""System checks of accounts' settings (`manage.py check`, and before `migrate` and `runserver`)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from accounts.models import Role


@checks.register(checks.Tags.security)
def check_role_maps(app_configs=None, **kwargs) -> list[checks.Error]:
    """A role map naming no role of ours is a typo that would quietly give nobody that role: `manage.py
    check` says so."""
    errors = []
    for setting in ("LDAP_ROLE_GROUPS", "OIDC_ROLE_GROUPS"):
        unknown = sorted(set(getattr(settings, setting).values()) - set(Role.values))
        if unknown:
            errors.append(
                checks.Error(
                    f"{setting} names unknown roles: {', '.join(unknown)}",
                    hint=f"Roles are {', '.join(Role.values)}.",
                    id="accounts.E001",
                )
            )
    return errors


@checks.register(checks.Tags.security)
def check_ldap_groups(app_configs=None, **kwargs) -> list[checks.Error]:
    """Group mappings need the group search that finds the user's groups."""
    mapped = settings.LDAP_ROLE_GROUPS or settings.LDAP_BRANCH_GROUPS
    if settings.LDAP_SERVER_URI and mapped and getattr(settings, "AUTH_LDAP_GROUP_SEARCH", None) is None:
        return [
            checks.Error(
                "LDAP_ROLE_GROUPS or LDAP_BRANCH_GROUPS is set without LDAP_GROUP_SEARCH_BASE",
                hint="Set LDAP_GROUP_SEARCH_BASE (and LDAP_GROUP_TYPE) so that the user's groups are found.",
                id="accounts.E002",
            )
        ]
    return []
