"""Writes of accounts that cross models: a directory's say on roles and branch, and ending access."""

from __future__ import annotations

import logging

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.directory import Assignment
from accounts.models import Branch, Role, User
from accounts.signals import deactivation_refusals

logger = logging.getLogger(__name__)


def apply_assignment(user: User, assignment: Assignment) -> None:
    """Give the user the roles and branch the directory decides (groups that are no role stay)."""
    with transaction.atomic():
        if assignment.roles is not None:
            role_groups = list(Group.objects.filter(name__in=Role.values))
            user.groups.remove(*(group for group in role_groups if group.name not in assignment.roles))
            user.groups.add(*(group for group in role_groups if group.name in assignment.roles))
            user.__dict__.pop("roles", None)  # the cached_property
        if assignment.decides_branch:
            branch = None
            if assignment.branch_code:
                branch = Branch.objects.filter(code=assignment.branch_code).first()
                if branch is None:
                    logger.warning(
                        "Directory branch %r of user %s is no branch here", assignment.branch_code, user
                    )
            if user.branch_id != (branch.pk if branch else None):
                user.branch = branch
                user.save(update_fields=["branch"])


def deactivate_from_directory(user: User, *, reason: str) -> None:
    """The directory no longer has the user (removed, disabled, left the company): the account is
    deactivated and its sessions and API tokens end at once. Unlike a deactivation in the admin this
    is not refused for work still on the user: the handover screen moves it afterwards (logged)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        locked.end_access()
    user.is_active = False
    logger.warning("Deactivated %s: %s", user.username, reason)
    for refusal in deactivation_refusals(locked):
        logger.warning("Hand over the work of %s: %s", user.username, refusal)
