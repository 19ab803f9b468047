"""Who may open each parts screen that other pages link to: one rule per screen, checked by the view
(`require_screen`) and by the page before it shows a link (`may_open`, the `may_open` template filter),
so that no role is offered a link that answers 403 (tests/security/test_links.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import Role
from parts import services

OFFICE_ROLES = (Role.WAREHOUSE, Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER, Role.FINANCE, Role.ADMIN)
POSTAGE_ROLES = (Role.WAREHOUSE, Role.TECHNICIAN, Role.DISPATCHER, *services.LEADERS, Role.FINANCE)

SCREEN_ROLES: dict[str, tuple[str, ...]] = {
    "parts:receive": (Role.WAREHOUSE,),
    "parts:counts_import": (Role.WAREHOUSE,),
    "parts:old_parts": OFFICE_ROLES,
    "parts:old_parts_monthly": OFFICE_ROLES,
    "parts:usages_outstanding": OFFICE_ROLES,
    "parts:claims": OFFICE_ROLES,
    "parts:claim_new": services.CLAIM_MANAGERS,
    "parts:recovery_report": OFFICE_ROLES,
    "parts:postage": POSTAGE_ROLES,
    "parts:backorders": services.BACKORDER_ROLES,
    "parts:handover_start": (Role.SUPERVISOR,),
}


def may_open(user, screen: str) -> bool:
    return user.is_superuser or user.has_role(*SCREEN_ROLES[screen])


def require_screen(user, screen: str, *, message: str) -> None:
    if not may_open(user, screen):
        raise PermissionDenied(message)
