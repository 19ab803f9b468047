from __future__ import annotations

import datetime
from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tickets.models import TRANSITION_LABELS, State

register = template.Library()

# The last quarter of the time allowed shows amber (DESIGN §9).
WARNING_SHARE = 0.25


@register.filter
def state_badge(state: str) -> str:
    label = State(state).label if state in State.values else state
    return format_html('<span class="state-badge state-{}">{}</span>', state, label)


@register.filter
def action_label(action: str) -> str:
    return TRANSITION_LABELS.get(action, action)


def _span(delta: datetime.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    return _("%(m)d 分") % {"m": minutes}


@register.simple_tag
def due_countdown(ticket, now: datetime.datetime) -> str:
    """Green with time to spare, amber in the last quarter, red when breached, grey when done."""
    if not ticket.is_open:
        return mark_safe('<span class="due due-paused">—</span>')
    left = ticket.due_at - now
    if left.total_seconds() < 0:
        return format_html(
            '<span class="due due-breached" title="{}">{}</span>',
            ticket.due_at,
            _("超期 %(span)s") % {"span": _span(left)},
        )
    allowed = (ticket.due_at - ticket.reported_at).total_seconds() or 1
    css = "due-warning" if left.total_seconds() / allowed <= WARNING_SHARE else "due-ok"
    return format_html(
        '<span class="due {}" title="{}">{}</span>',
        css,
        ticket.due_at,
        _("剩 %(span)s") % {"span": _span(left)},
    )


@register.filter
def yuan(amount) -> str:
    """Money in CNY as people read it: `¥1,280.00` (DESIGN §9)."""
    if amount is None or amount == "":
        return "—"
    return f"¥{Decimal(amount):,.2f}"
