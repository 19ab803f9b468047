"""LDAP / Active Directory login (django-auth-ldap), on when LDAP_SERVER_URI is set (settings.py).

At every login, and at every directory sync (`accounts.tasks.sync_directory`), the user's roles and
branch follow the directory's groups (LDAP_ROLE_GROUPS, LDAP_BRANCH_GROUPS) or attribute
(LDAP_BRANCH_ATTRIBUTE); a directory account the user search no longer finds (removed, or disabled where
the search filter leaves disabled accounts out) is deactivated, which ends its sessions and API tokens.
"""

from __future__ import annotations

import logging

import ldap
from django.conf import settings
from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from accounts.directory import assignment_for
from accounts.models import User
from accounts.services import apply_assignment, deactivate_from_directory

logger = logging.getLogger(__name__)


class DirectoryBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            self._follow_directory(user, ldap_user)
        else:
            self._deactivate_if_gone(ldap_user)
        return user

    def populate_user(self, username):
        """django-auth-ldap's refresh without a password (the sync task), roles and branch included."""
        user = super().populate_user(username)
        if user is not None:
            self._follow_directory(user, user.ldap_user)
        return user

    def get_user(self, user_id):
        # django-auth-ldap's get_user does not look at is_active (ModelBackend's does): a session of a
        # deactivated user must not come back to life through this backend.
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def in_directory(self, username: str) -> bool | None:
        """Whether the user search finds `username`; None when the directory cannot be asked (a
        directory that is down deactivates nobody)."""
        # _LDAPUser is django-auth-ldap's own (private) helper that binds with AUTH_LDAP_BIND_DN.
        ldap_user = _LDAPUser(self, username=username)
        try:
            return bool(self.settings.USER_SEARCH.execute(ldap_user.connection, {"user": username}))
        except ldap.LDAPError as error:
            logger.warning("LDAP search for %s failed: %s", username, error)
            return None

    def _follow_directory(self, user: User, ldap_user) -> None:
        if user.source != User.Source.LDAP:
            user.source = User.Source.LDAP
            user.save(update_fields=["source"])
        role_map, branch_map = settings.LDAP_ROLE_GROUPS, settings.LDAP_BRANCH_GROUPS
        groups = ldap_user.group_dns if (role_map or branch_map) else set()
        branch_values = None
        if settings.LDAP_BRANCH_ATTRIBUTE:
            attribute = settings.LDAP_BRANCH_ATTRIBUTE.lower()
            attrs = ldap_user.attrs or {}
            branch_values = next((values for name, values in attrs.items() if name.lower() == attribute), [])
        apply_assignment(
            user,
            assignment_for(groups, role_map=role_map, branch_map=branch_map, branch_values=branch_values),
        )

    def _deactivate_if_gone(self, ldap_user) -> None:
        username = self.ldap_to_django_username(ldap_user._username)
        user = User.objects.filter(username__iexact=username, source=User.Source.LDAP, is_active=True).first()
        if user is not None and self.in_directory(ldap_user._username) is False:
            deactivate_from_directory(user, reason="not found in the LDAP directory at login")


def sync_directory() -> dict[str, int]:
    """Every active directory account: deactivated when the directory no longer has it, else its name,
    roles and branch refreshed. Returns the counts.

    When more than half of the accounts (two or more) seem gone at once, that is rather a search base or
    filter changed by mistake than people leaving: nobody is deactivated, and the log says why (each
    one's next login still checks)."""
    backend = DirectoryBackend()
    counts = {"refreshed": 0, "deactivated": 0, "unreachable": 0, "held_back": 0}
    gone = []
    users = list(User.objects.filter(source=User.Source.LDAP, is_active=True).order_by("pk"))
    for user in users:
        found = backend.in_directory(backend.django_to_ldap_username(user.username))
        if found is None:
            counts["unreachable"] += 1
        elif found:
            backend.populate_user(backend.django_to_ldap_username(user.username))
            counts["refreshed"] += 1
        else:
            gone.append(user)
    if len(gone) >= 2 and len(gone) * 2 > len(users):
        logger.error(
            "LDAP sync: %d of %d directory accounts not found; none deactivated (check LDAP_USER_SEARCH_BASE "
            "and LDAP_USER_SEARCH_FILTER): %s",
            len(gone),
            len(users),
            ", ".join(user.username for user in gone),
        )
        counts["held_back"] = len(gone)
        return counts
    for user in gone:
        deactivate_from_directory(user, reason="not found in the LDAP directory by the sync")
        counts["deactivated"] += 1
    return counts
