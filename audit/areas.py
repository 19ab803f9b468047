"""The areas of the audit screen (issue #21: tickets, approvals, stock, fees, settings and policies, users
and roles, logins): which rows each holds, by the row's verb and, for the Django admin's rows, its object.

A row is in exactly one area: `area_of` and `area_filter` say the same thing, one in Python (for the
object types offered under each area) and one in SQL (for the filter).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import pgettext_lazy

LOGIN_VERBS = ("auth.login", "auth.logout")  # auth.login also starts auth.login_failed
# Objects whose changes in the Django admin belong to users and roles, not to settings.
USER_TYPES = ("accounts.user", "auth.group", "auth.permission", "accounts.apitoken")

AREAS = {
    "ticket": pgettext_lazy("audit area", "工单"),
    "approval": pgettext_lazy("audit area", "审批"),
    "stock": pgettext_lazy("audit area", "库存"),
    "fee": pgettext_lazy("audit area", "费用"),
    "settings": pgettext_lazy("audit area", "设置与政策"),
    "users": pgettext_lazy("audit area", "用户与角色"),
    "login": pgettext_lazy("audit area", "登录"),
}
# Verb prefixes of each area, but for the admin's rows (settings or users by their object) and auth's.
PREFIXES = {
    "ticket": ("ticket.", "callbook."),
    "approval": ("claim.", "requisition."),
    "stock": ("stock.",),
    "fee": ("fee.", "write_off."),
}


def _starts(prefixes: tuple[str, ...]) -> Q:
    query = Q(pk__in=[])
    for prefix in prefixes:
        query |= Q(verb__startswith=prefix)
    return query


def area_filter(area: str) -> Q:
    """The rows of an area, as a filter of AuditEntry."""
    if area in PREFIXES:
        return _starts(PREFIXES[area])
    admin = Q(verb__startswith="admin.")
    if area == "settings":
        return admin & ~Q(object_type__in=USER_TYPES)
    if area == "users":
        return (Q(verb__startswith="auth.") & ~_starts(LOGIN_VERBS)) | (admin & Q(object_type__in=USER_TYPES))
    if area == "login":
        return _starts(LOGIN_VERBS)
    raise ValueError(f"Unknown audit area {area!r}")


def area_of(verb: str, object_type: str) -> str | None:
    for area, prefixes in PREFIXES.items():
        if verb.startswith(prefixes):
            return area
    if verb.startswith("admin."):
        return "users" if object_type in USER_TYPES else "settings"
    if verb.startswith(LOGIN_VERBS):
        return "login"
    if verb.startswith("auth."):
        return "users"
    return None
