"""Reads of the audit trail: who may read it, and the rows of the screen and its export."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.areas import AREAS, area_filter, area_of
from audit.details import readable_text
from audit.models import AuditEntry, object_type_label

EXPORT_CHUNK = 2000


def may_read_audit(user) -> bool:
    """The admins' screen (DESIGN §1: admin configures policies and users): every branch's rows."""
    return user.is_active and (user.is_superuser or user.has_role(Role.ADMIN))


def require_audit_reader(user) -> None:
    if not may_read_audit(user):
        raise PermissionDenied(_("只有系统管理员可以查看审计日志。"))


def _done_by(user) -> Q:
    """What the user did, and the failed sign-ins under their name (no one was signed in: the row has the
    name typed and the account it names, not an actor)."""
    failed = Q(verb="auth.login_failed", object_type=User._meta.label_lower, object_id=str(user.pk))
    return Q(actor=user) | failed


# The distinct (object type, verb) pairs by a skip scan of audit_entry_type_verb_idx: one index probe per
# pair (a few dozen), where DISTINCT reads every row (half a second at a million rows).
PAIRS_SQL = """
WITH RECURSIVE pairs AS (
    (SELECT object_type, verb FROM audit_auditentry ORDER BY object_type, verb LIMIT 1)
    UNION ALL
    SELECT found.object_type, found.verb FROM pairs, LATERAL (
        SELECT object_type, verb FROM audit_auditentry
        WHERE (object_type, verb) > (pairs.object_type, pairs.verb)
        ORDER BY object_type, verb LIMIT 1
    ) AS found
)
SELECT object_type, verb FROM pairs
"""


def _type_verb_pairs() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":  # SQLite (development) has no LATERAL
        return list(AuditEntry.objects.order_by().values_list("object_type", "verb").distinct())
    with connection.cursor() as cursor:
        cursor.execute(PAIRS_SQL)
        return cursor.fetchall()


def object_type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The object types that have rows, by their names, grouped under the areas of their rows. A type
    with rows in two areas (a user's sign-ins and role changes) is offered once, under the first area:
    the filter is by type, whatever the area, so a second option would be the same choice."""
    order = list(AREAS)
    first_area: dict[str, str] = {}
    for object_type, verb in _type_verb_pairs():
        area = area_of(verb, object_type)
        if area is not None and object_type:
            known = first_area.get(object_type)
            if known is None or order.index(area) < order.index(known):
                first_area[object_type] = area
    by_area: dict[str, set[str]] = {area: set() for area in AREAS}
    for object_type, area in first_area.items():
        by_area[area].add(object_type)
    return [
        (str(AREAS[area]), sorted(((t, object_type_label(t)) for t in types), key=lambda c: c[1]))
        for area, types in by_area.items()
        if types
    ]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_entries(
    *,
    actor=None,
    area: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """The rows matching the filters, newest first; dates are whole days in Asia/Shanghai, both included."""
    entries = AuditEntry.objects.all()
    if actor is not None:
        entries = entries.filter(_done_by(actor))
    if area:
        entries = entries.filter(area_filter(area))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if date_from is not None:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to is not None:
        entries = entries.filter(at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    return entries.order_by("-at", "-pk")


def export_rows(entries: QuerySet[AuditEntry]) -> Iterator[list]:
    """The header, then one line per row (read in chunks: any length streams)."""
    yield [
        _("时间"),
        _("操作人"),
        _("用户编号"),
        _("IP 地址"),
        _("动作"),
        _("操作代码"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("详情"),
    ]
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_display,
            entry.actor_id or "",
            entry.ip_address or "",
            entry.verb_display,
            entry.verb,
            entry.object_type_display,
            entry.object_id,
            entry.object_label,
            readable_text(entry.details, entry.object_type) if entry.details else "",
        ]
