from __future__ import annotations

import datetime
import html
from decimal import Decimal

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaulttags import CsrfTokenNode
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from aftersales.links import pk_url
from aftersales.templatetags.ui import idempotency_input
from tickets import sla
from tickets.callbook_rules import NOON
from tickets.choices import AppointmentRequester
from tickets.models import STATE_LABELS, TRANSITION_LABELS
from warranty.templatetags.warranty_tags import remedy_label

register = template.Library()


@register.filter
def state_badge(state: str) -> str:
    label = STATE_LABELS.get(state, state)
    return format_html('<span class="state-badge state-{}">{}</span>', state, label)


@register.filter
def ticket_state_badge(ticket) -> str:
    """The ticket's state badge, as RepairTicket.state_label reads it (a historical ticket's included)."""
    return format_html('<span class="state-badge state-{}">{}</span>', ticket.state, ticket.state_label)


@register.filter(expects_localtime=True)
def minute(moment) -> str:
    """`moment|date:"Y-m-d H:i"`, the local minute, without Django's format parser: the ticket list writes
    25 a page, the history one a row (a date or anything else goes to Django's filter)."""
    if not isinstance(moment, datetime.datetime):
        return date_filter(moment, "Y-m-d H:i")
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


@register.filter
def tick_label(number: str) -> str:
    """The ticket list's checkbox label, as {% blocktrans %}勾选 {{ number }}{% endblocktrans %} wrote it, from
    one gettext call instead of a translation node per row."""
    return _("勾选 %(number)s") % {"number": number}


@register.filter
def book_moment(moment: datetime.datetime | None) -> str:
    """A moment from a call book: the date alone when the book gave no time (the import puts such a date
    at noon, tickets.callbook_rules.NOON), else the date and time."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d}" if local.time() == NOON else f"{local:%Y-%m-%d %H:%M}"


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


@register.filter
def duration(delta: datetime.timedelta | None) -> str:
    """A time span as a person reads it (1 小时 35 分); empty when unknown."""
    return _span(delta) if delta is not None else ""


@register.simple_tag
def due_countdown(ticket, now: datetime.datetime) -> str:
    """The next deadline (DESIGN §9): green with time to spare, amber in the warning band, red when
    breached, grey when paused or done. Written with f-strings, not format_html: the board and the list
    draw twenty-five a page (issue #19); the one text from outside our code, the translation, is
    escaped."""
    if not ticket.is_open:
        return mark_safe('<span class="due due-paused">—</span>')
    local_due = minute(timezone.localtime(ticket.due_at))
    if ticket.clock_paused:
        paused = html.escape(_("计时暂停"))
        return mark_safe(  # noqa: S308 - a formatted minute and an escaped label
            f'<span class="due due-paused" title="{local_due}">{paused}</span>'
        )
    warn_at = ticket.warn_at or ticket.due_at
    state = sla.countdown_state(now=now, warn_at=warn_at, due_at=ticket.due_at, paused=False)
    text = _("超期 %(span)s") if state == sla.COUNTDOWN_BREACHED else _("剩 %(span)s")
    text = html.escape(text % {"span": _span(ticket.due_at - now)})
    return mark_safe(f'<span class="due due-{state}" title="{local_due}">{text}</span>')  # noqa: S308 - as above


@register.filter
def yuan(amount) -> str:
    """Money in CNY as people read it: `¥1,280.00` (DESIGN §9)."""
    if amount is None or amount == "":
        return "—"
    return f"¥{Decimal(amount):,.2f}"


@register.filter
def window(start: datetime.datetime | None, end: datetime.datetime | None = None) -> str:
    """预约时间段 as the user reads it: 2026-12-05 09:00–11:00 (local time); "" without one."""
    if start is None or end is None:
        return ""
    start, end = timezone.localtime(start), timezone.localtime(end)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


@register.filter
def window_of(moments: list[str] | None) -> str:
    """A window stored in a history row (two ISO datetimes) or "—"."""
    if not moments:
        return "—"
    return window(*(datetime.datetime.fromisoformat(moment) for moment in moments))


@register.filter
def requester_label(code: str) -> str:
    return AppointmentRequester(code).label if code in AppointmentRequester.values else code


_LIST_ROW = (
    '<tr>{}<td><a href="{}">{}</a>{}</td><td>{}</td><td>{}</td><td class="text-nowrap">{}</td><td>{}</td>'
    '<td>{} <code class="small">{}</code></td><td>{} · {}</td><td>{}</td><td>{}</td></tr>'
)
_LIST_CHECKBOX = (
    '<td><input class="form-check-input" type="checkbox" form="bulk-form" name="ticket" value="{}:{}"'
    ' aria-label="{}"></td>'
)


@register.simple_tag
def ticket_list_rows(tickets, now: datetime.datetime, with_checkbox) -> str:
    """The ticket list's rows (number, state, deadline, reported, customer, product, fault, technician,
    branch), written in Python: 25 rows of ten cells through the template engine were a third of the page,
    a variable lookup, an escape and a lazy label a cell (issue #19). The same markup as the template it
    replaces, held to it by tests/tickets/test_ticket_tags.py."""
    urgent = format_html(' <span class="badge bg-danger">{}</span>', _("急"))
    ticket_url = pk_url("tickets:detail")  # RepairTicket.get_absolute_url without a reverse() a row
    rows = []
    for ticket in tickets:
        checkbox = (
            format_html(_LIST_CHECKBOX, ticket.pk, ticket.version, tick_label(ticket.number))
            if with_checkbox
            else ""
        )
        reported = minute(timezone.localtime(ticket.reported_at)) if ticket.reported_at else ""
        rows.append(
            format_html(
                _LIST_ROW,
                checkbox,
                ticket_url(ticket.pk),
                ticket.number,
                urgent if ticket.priority == "urgent" else "",
                ticket_state_badge(ticket),
                due_countdown(ticket, now),
                reported,
                ticket.customer.name,
                ticket.unit.product_model.name,
                ticket.unit.serial_number,
                ticket.get_fault_category_display(),
                Truncator(ticket.fault_description).chars(24),
                ticket.technician or "—",
                ticket.branch.code,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every part went through format_html


_BOARD_CARD = (
    '<div class="card mb-2"><div class="card-body py-2 d-flex flex-wrap gap-3 align-items-center'
    ' justify-content-between"><div>{urgent}<a href="{url}"><strong>{number}</strong></a> {due}{self}{carried}'
    '{appointment}<div class="small">{customer} · {model} · {category} · {fault}</div>'
    '<div class="small text-muted" data-testid="board-facts-{number}">{priority} · {zone} · {distance} km ·'
    " {verdict_label}: {verdict}</div></div>"
    '<form method="post" action="{dispatch_url}" class="d-flex gap-2">{fields}'
    '<select name="technician" class="form-select board-lead" aria-label="{technician_label}" required'
    ' data-testid="technician-{number}">{lead_options}</select>'
    '<select name="helpers" class="form-select" aria-label="{helpers_label}" title="{helpers_title}" multiple'
    ' size="1" data-testid="helpers-{number}">{helper_options}</select>'
    '<button class="btn btn-primary text-nowrap" data-testid="dispatch-{number}">{dispatch_label}</button>'
    '</form></div><form method="post" action="{dispatch_url}">{suggestion_fields}<ol class="list-group'
    ' list-group-flush border-top" aria-label="{suggestions_label}" data-testid="suggestions-{number}">'
    "{suggestions}</ol></form></div>"
)
_BOARD_SUGGESTION = (
    '<li class="list-group-item d-flex flex-wrap gap-2 align-items-center justify-content-between py-1">'
    '<span><strong>{}</strong> <small class="text-muted" data-testid="reason">{}</small></span>'
    '<button class="btn btn-outline-primary btn-sm text-nowrap" name="technician" value="{}"'
    ' data-testid="accept-suggestion">{}</button></li>'
)
_BOARD_FORM_FIELDS = (
    '{}{}<input type="hidden" name="version" value="{}"><input type="hidden" name="next" value="board">'
)


def _html(value) -> str:
    """conditional_escape without its wrapper for lazy arguments: a card has some forty parts."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


def technician_options(technicians) -> str:
    """The <option>s of a branch's technicians with their open jobs, for the board's two selects a card
    (written once a branch; the same markup as the partial it replaces, tests/tickets/test_ticket_tags.py)."""
    if not technicians:
        return mark_safe('<option value="">{}</option>'.format(_("无在岗技术员")))  # noqa: S308 - our label
    return mark_safe(  # noqa: S308 - escaped by _html, or numbers
        "".join(
            f'<option value="{technician.pk}">{_html(technician)} ({technician.open_jobs})</option>'
            for technician in technicians
        )
    )


@register.simple_tag
def technician_choices(technicians, chosen) -> str:
    """The <option>s of the ticket page's two technician selects (who leads, who helps), written in Python:
    a branch's technicians twice through the template engine cost a millisecond a page (issue #19).
    `chosen`: the leading technician's id, or the helpers (users). The same markup as the loops it
    replaces, held to them by tests/tickets/test_ticket_tags.py."""
    ids = {chosen} if chosen is None or isinstance(chosen, int) else {user.pk for user in chosen}
    return mark_safe(  # noqa: S308 - escaped by _html, or numbers
        "".join(
            f'<option value="{technician.pk}"{" selected" if technician.pk in ids else ""}>{_html(technician)}</option>'
            for technician in technicians
        )
    )


@register.simple_tag(takes_context=True)
def dispatch_board_cards(context, rows, now: datetime.datetime) -> str:
    """The dispatch board's cards (tickets.views.dispatch_board's rows), written in Python: through the
    template engine, some fifty nodes a card and two forms apiece were half of the board's time (issue
    #19). The same markup as the template it replaces, held to it by tests/tickets/test_ticket_tags.py;
    each form still gets its own idempotency key."""
    csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} writes
    # Who leads is chosen, never defaulted: the first technician stood selected, so a tap on 派工 sent the
    # ticket to whoever sorted first. The empty first option fails the select's `required` until a choice.
    choose_technician = '<option value="">{}</option>'.format(_("请选择技术员"))
    no_technician = technician_options([])
    # Fixed texts as {% trans %} writes them (not escaped), put into words once a page.
    labels = {
        "verdict_label": _("保修结论"),
        "technician_label": _("技术员"),
        "helpers_label": _("协助技术员"),
        "helpers_title": _("协助技术员(两人以上外出,可多选)"),
        "dispatch_label": _("派工"),
        "suggestions_label": _("推荐技术员"),
    }
    appointment_label = _("预约")
    self_reported = ' <span class="badge text-bg-warning" data-testid="self-reported">{}</span>'.format(
        _("客户自助")
    )
    carried_over = ' <span class="badge text-bg-secondary" data-testid="carried-over">{}</span>'.format(
        _("昨日遗留")
    )
    no_suggestion = (
        '<li class="list-group-item py-1 small text-muted" data-testid="no-suggestion">{}</li>'.format(
            _("今日没有具备该类资质且在岗的技术员,请手动选择或调整技术员档案。")
        )
    )
    cards = []
    for row in rows:
        ticket, customer = row["ticket"], row["ticket"].customer
        number, priority = _html(ticket.number), _html(row["priority"])
        urgent = ticket.priority == "urgent"
        suggestions = row["suggestions"]
        fields = _BOARD_FORM_FIELDS.format(csrf, idempotency_input(), ticket.version)
        options = row["technician_options"]  # None: the branch has no technician on duty
        cards.append(
            _BOARD_CARD.format(
                urgent=f'<span class="badge text-bg-danger" data-testid="urgent">{priority}</span> '
                if urgent
                else "",
                url=_html(row["url"]),
                number=number,
                due=due_countdown(ticket, now),
                self=self_reported if ticket.channel == "self" else "",
                carried=carried_over if row["carried_over"] else "",
                appointment=(
                    f' <span class="badge text-bg-info" data-testid="appointment-{number}">{appointment_label} '
                    f"{_html(window(ticket.appointment_start, ticket.appointment_end))}</span>"
                    if ticket.appointment
                    else ""
                ),
                customer=_html(customer.name),
                model=_html(ticket.unit.product_model.name),
                category=_html(row["category"]),
                fault=_html(Truncator(ticket.fault_description).chars(30)),
                priority=f'<span class="badge bg-danger">{priority}</span>' if urgent else priority,
                zone=_html(row["zone"]),
                distance=_html(localize(customer.distance_km)),
                verdict=_html(remedy_label(ticket.warranty_remedy) or "—"),
                dispatch_url=_html(row["dispatch_url"]),
                fields=fields,
                lead_options=choose_technician + options if options else no_technician,
                helper_options=options or no_technician,
                suggestion_fields=_BOARD_FORM_FIELDS.format(csrf, idempotency_input(), ticket.version)
                if suggestions
                else "",
                suggestions="".join(
                    _BOARD_SUGGESTION.format(
                        _html(suggestion.name), _html(reason), suggestion.technician_id, _html(accept)
                    )
                    for suggestion, reason, accept in suggestions
                )
                or no_suggestion,
                **labels,
            )
        )
    return mark_safe("\n".join(cards))  # noqa: S308 - escaped by _html, or a number, a UUID, our own labels
