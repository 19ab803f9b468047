"""Roles and branch from a directory (issue #21): LDAP groups, OIDC claims, WeCom departments.

Pure: the backends read the directory, `accounts.services.apply_assignment` stores what this decides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Assignment:
    """What the directory says of a user at login. `roles` None: the directory does not decide roles
    (no role mapping configured), the local ones stay; `decides_branch` False likewise for the branch."""

    roles: frozenset[str] | None
    branch_code: str | None = None
    decides_branch: bool = False


def assignment_for(
    memberships: Iterable[str],
    *,
    role_map: Mapping[str, str],
    branch_map: Mapping[str, str],
    branch_values: Iterable[str] | None = None,
) -> Assignment:
    """`memberships`: the user's group DNs (LDAP), group claim values (OIDC) or department ids (WeCom),
    matched against the maps' keys without regard to case (DNs are case-insensitive).

    A role map decides the roles: exactly those of the mapped groups the user is in (none: no role).
    The branch comes from `branch_values` (a directory attribute or claim holding the branch code; None:
    not configured) when it has one, else from the first group of the branch map the user is in; with
    either configured and nothing found, the user has no branch."""
    held = {membership.strip().lower() for membership in memberships}
    roles = None
    if role_map:
        roles = frozenset(role for key, role in role_map.items() if key.strip().lower() in held)
    values = [value.strip().upper() for value in branch_values or () if value.strip()]
    if values:
        return Assignment(roles, values[0], True)
    if branch_map:
        codes = [code.strip().upper() for key, code in branch_map.items() if key.strip().lower() in held]
        return Assignment(roles, codes[0] if codes else None, True)
    return Assignment(roles, None, branch_values is not None)
