"""The ticket pages' filters that stand in for a slower built-in: the same text as what they replace."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from tests.accounts.factories import UserFactory
from tests.markup import tags_only
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State
from tickets.templatetags.ticket_tags import technician_choices, technician_options

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MOMENTS = [
    datetime.datetime(2026, 12, 6, 4, 5, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI),
    datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
    datetime.datetime(9999, 12, 31, 15, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 1, 9, 7),  # noqa: DTZ001 - naive: written as it is, as Django does
    None,
    "",
]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_minute_writes_what_the_date_filter_writes(moment, zone):
    with timezone.override(zone):
        context = Context({"moment": moment})
        expected = Template('{{ moment|date:"Y-m-d H:i" }}').render(context)
        written = Template("{% load ticket_tags %}{{ moment|minute }}").render(context)
    assert written == expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tick_label_is_the_blocktrans_it_replaced(language):
    context = Context({"number": "SH-20261206-0001<&>"})
    with translation.override(language):
        expected = Template(
            "{% load i18n %}{% blocktrans with number=number %}勾选 {{ number }}{% endblocktrans %}"
        ).render(context)
        written = Template("{% load ticket_tags %}{{ number|tick_label }}").render(context)
    assert written == expected


# The ticket list's rows as the template wrote them before `ticket_list_rows` (tickets/ticket_list.html).
LIST_ROWS_TEMPLATE = """{% load i18n ticket_tags %}{% for ticket in tickets %}
      <tr>
        {% if bulk_form %}<td><input class="form-check-input" type="checkbox" form="bulk-form" name="ticket" value="{{ ticket.pk }}:{{ ticket.version }}" aria-label="{{ ticket.number|tick_label }}"></td>{% endif %}
        <td><a href="{{ ticket.get_absolute_url }}">{{ ticket.number }}</a>{% if ticket.priority == "urgent" %} <span class="badge bg-danger">{% trans "急" %}</span>{% endif %}</td>
        <td>{{ ticket|ticket_state_badge }}</td>
        <td>{% due_countdown ticket now %}</td>
        <td class="text-nowrap">{{ ticket.reported_at|minute }}</td>
        <td>{{ ticket.customer.name }}</td>
        <td>{{ ticket.unit.product_model.name }} <code class="small">{{ ticket.unit.serial_number }}</code></td>
        <td>{{ ticket.get_fault_category_display }} · {{ ticket.fault_description|truncatechars:24 }}</td>
        <td>{{ ticket.technician|default:"—" }}</td>
        <td>{{ ticket.branch.code }}</td>
      </tr>
    {% endfor %}"""


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("bulk_form", [object(), None])
def test_the_list_rows_are_what_the_template_wrote(branch_a, technician, language, bulk_form):
    now = timezone.now()
    tickets = [
        TicketFactory(unit__owner__branch=branch_a, unit__owner__name="<张&伟>", priority="urgent"),
        TicketFactory(
            unit__owner__branch=branch_a,
            technician=technician,
            state=State.DISPATCHED,
            fault_description='室外机漏水严重,风扇不转,显示 E4 "故障" <b>很长很长的描述文字</b>',
            due_at=now - datetime.timedelta(hours=3),
        ),
        TicketFactory(unit__owner__branch=branch_a, clock_paused=True),
        TicketFactory(unit__owner__branch=branch_a, technician=technician, state=State.CLOSED),
    ]
    rows = list(
        RepairTicket.objects.filter(pk__in=[t.pk for t in tickets])
        .select_related("customer", "unit__product_model", "technician", "branch")
        .order_by("pk")
    )
    context = Context({"tickets": rows, "now": now, "bulk_form": bulk_form})
    with translation.override(language):
        expected = Template(LIST_ROWS_TEMPLATE).render(context)
        written = Template("{% load ticket_tags %}{% ticket_list_rows tickets now bulk_form %}").render(
            context
        )
    assert tags_only(written) == tags_only(expected)
    assert str(tickets[0].number) in written


# The dispatch board's cards as the template wrote them before `dispatch_board_cards` (tickets/dispatch_board.html).
BOARD_CARDS_TEMPLATE = (
    "{% load i18n ticket_tags warranty_tags ui %}"
    + """    {% trans "客户自助" as self_label %}{% trans "昨日遗留" as carried_label %}{% trans "预约" as appointment_label %}{% trans "保修结论" as verdict_label %}{% trans "技术员" as technician_label %}{% trans "协助技术员" as helpers_label %}{% trans "协助技术员(两人以上外出,可多选)" as helpers_title %}{% trans "派工" as dispatch_label %}{% trans "推荐技术员" as suggestions_label %}{% trans "今日没有具备该类资质且在岗的技术员,请手动选择或调整技术员档案。" as no_suggestion %}
    {% for row in rows %}{% with ticket=row.ticket %}
    <div class="card mb-2"><div class="card-body py-2 d-flex flex-wrap gap-3 align-items-center justify-content-between">
      <div>
        {% if ticket.priority == "urgent" %}<span class="badge text-bg-danger" data-testid="urgent">{{ row.priority }}</span> {% endif %}<a href="{{ row.url }}"><strong>{{ ticket.number }}</strong></a> {% due_countdown ticket now %}{% if ticket.channel == "self" %} <span class="badge text-bg-warning" data-testid="self-reported">{{ self_label }}</span>{% endif %}{% if row.carried_over %} <span class="badge text-bg-secondary" data-testid="carried-over">{{ carried_label }}</span>{% endif %}{% if ticket.appointment %} <span class="badge text-bg-info" data-testid="appointment-{{ ticket.number }}">{{ appointment_label }} {{ ticket.appointment_start|window:ticket.appointment_end }}</span>{% endif %}
        <div class="small">{{ ticket.customer.name }} · {{ ticket.unit.product_model.name }} · {{ row.category }} · {{ ticket.fault_description|truncatechars:30 }}</div>
        <div class="small text-muted" data-testid="board-facts-{{ ticket.number }}">{% if ticket.priority == "urgent" %}<span class="badge bg-danger">{{ row.priority }}</span>{% else %}{{ row.priority }}{% endif %} · {{ row.zone }} · {{ ticket.customer.distance_km }} km · {{ verdict_label }}: {{ ticket.warranty_remedy|remedy_label|default:"—" }}</div>
      </div>
      <form method="post" action="{{ row.dispatch_url }}" class="d-flex gap-2">{% csrf_token %}{% idempotency_input %}
        <input type="hidden" name="version" value="{{ ticket.version }}"><input type="hidden" name="next" value="board">
        <select name="technician" class="form-select board-lead" aria-label="{{ technician_label }}" required data-testid="technician-{{ ticket.number }}">{% if row.technician_options %}<option value="">{% trans "请选择技术员" %}</option>{{ row.technician_options }}{% else %}<option value="">{% trans "无在岗技术员" %}</option>{% endif %}</select>
        <select name="helpers" class="form-select" aria-label="{{ helpers_label }}" title="{{ helpers_title }}" multiple size="1" data-testid="helpers-{{ ticket.number }}">{% if row.technician_options %}{{ row.technician_options }}{% else %}<option value="">{% trans "无在岗技术员" %}</option>{% endif %}</select>
        <button class="btn btn-primary text-nowrap" data-testid="dispatch-{{ ticket.number }}">{{ dispatch_label }}</button>
      </form>
    </div>
    {# One form for the card's suggestions: each button sends its technician (app.js disables them all once one is sent). #}
    <form method="post" action="{{ row.dispatch_url }}">{% if row.suggestions %}{% csrf_token %}{% idempotency_input %}<input type="hidden" name="version" value="{{ ticket.version }}"><input type="hidden" name="next" value="board">{% endif %}
    <ol class="list-group list-group-flush border-top" aria-label="{{ suggestions_label }}" data-testid="suggestions-{{ ticket.number }}">
      {% for suggestion, reason_line, accept_label in row.suggestions %}
      <li class="list-group-item d-flex flex-wrap gap-2 align-items-center justify-content-between py-1">
        <span><strong>{{ suggestion.name }}</strong> <small class="text-muted" data-testid="reason">{{ reason_line }}</small></span>
        <button class="btn btn-outline-primary btn-sm text-nowrap" name="technician" value="{{ suggestion.technician_id }}" data-testid="accept-suggestion">{{ accept_label }}</button>
      </li>
      {% empty %}
      <li class="list-group-item py-1 small text-muted" data-testid="no-suggestion">{{ no_suggestion }}</li>
      {% endfor %}
    </ol>
    </form>
    </div>
    {% endwith %}
    {% empty %}
    <div class="alert alert-success">{% trans "没有待派工的工单。" %}</div>
    {% endfor %}
"""
)


def _without_keys(html: str) -> str:
    """The markup with each form's idempotency key (a new UUID per form) blanked."""
    return re.sub(r'(name="idempotency_key" value=")[0-9a-f-]{36}', r"\1", tags_only(html))


# Django's own {% csrf_token %} writes NOTPROVIDED with a deprecated format_html("") call (the old template's).
@pytest.mark.filterwarnings("ignore:Calling format_html\\(\\) without passing args")
@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("csrf_token", ["masked-token", "NOTPROVIDED", None])
def test_the_board_cards_are_what_the_template_wrote(branch_a, language, csrf_token):
    now = timezone.now()
    tickets = [
        TicketFactory(
            unit__owner__branch=branch_a,
            unit__owner__name="<张&伟>",
            unit__owner__distance_km="12.5",
            priority="urgent",
            channel="self",
            warranty_remedy="free_repair",
            appointment_start=now + datetime.timedelta(hours=2),
            appointment_end=now + datetime.timedelta(hours=4),
        ),
        TicketFactory(
            unit__owner__branch=branch_a,
            fault_description='室外机漏水严重,风扇不转,显示 E4 "故障" <b>很长很长的描述文字,超过三十个字的部分被截断</b>',
            due_at=now - datetime.timedelta(hours=3),
        ),
        TicketFactory(unit__owner__branch=branch_a, clock_paused=True, warranty_remedy=""),
    ]
    by_pk = {
        ticket.pk: ticket
        for ticket in RepairTicket.objects.filter(pk__in=[t.pk for t in tickets]).for_board()
    }
    options = mark_safe('<option value="7">李四 (2)</option>')
    suggestion = SimpleNamespace(name="<李四>", technician_id=7)
    rows = [
        {
            "ticket": by_pk[ticket.pk],
            "url": ticket.get_absolute_url(),
            "dispatch_url": f"/tickets/{ticket.pk}/dispatch/",
            "priority": "紧急" if ticket.priority == "urgent" else "<普通>",
            "zone": "市区",
            "category": "家电&小家电",
            "carried_over": index == 1,
            "technician_options": options if index != 1 else None,  # None: no technician on duty
            "suggestions": [(suggestion, "同区域 · 当天 0 单 <&>", "派给<李四>")] if index != 2 else [],
        }
        for index, ticket in enumerate(tickets)
    ]
    context = Context({"rows": rows, "now": now, "csrf_token": csrf_token})
    with translation.override(language):
        expected = Template(BOARD_CARDS_TEMPLATE).render(context)
        written = Template("{% load ticket_tags %}{% dispatch_board_cards rows now %}").render(context)
    assert _without_keys(written) == _without_keys(expected)
    assert written.count('name="idempotency_key"') == 5  # two forms a card, the third card's second empty
    assert len(set(re.findall(r'name="idempotency_key" value="([0-9a-f-]{36})"', written))) == 5


TECHNICIAN_OPTIONS_TEMPLATE = (
    "{% load i18n %}{% for technician in technicians %}"
    '<option value="{{ technician.pk }}">{{ technician }} ({{ technician.open_jobs }})</option>'
    '{% empty %}<option value="">{% trans "无在岗技术员" %}</option>{% endfor %}'
)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_technician_options_are_what_the_partial_wrote(language, count):
    technicians = [
        UserFactory(first_name=f"<四&{index}>", last_name="李", roles=["technician"])
        for index in range(count)
    ]
    for index, technician in enumerate(technicians):
        technician.open_jobs = index * 2
    with translation.override(language):
        expected = Template(TECHNICIAN_OPTIONS_TEMPLATE).render(Context({"technicians": technicians}))
        written = technician_options(technicians)
    assert written == expected


# The ticket page's technician selects as tickets/_transition_form.html wrote them before `technician_choices`.
TECHNICIAN_CHOICES_TEMPLATE = (
    '{% for technician in technicians %}<option value="{{ technician.pk }}"{% if technician.pk == ticket.technician_id %}'
    " selected{% endif %}>{{ technician }}</option>{% endfor %}|"
    '{% for technician in technicians %}<option value="{{ technician.pk }}"{% if technician in ticket.helpers.all %}'
    " selected{% endif %}>{{ technician }}</option>{% endfor %}"
)


@pytest.mark.django_db
@pytest.mark.parametrize("lead", [None, 0, 2])
@pytest.mark.parametrize("helpers", [(), (1,), (0, 2)])
def test_the_technician_choices_are_what_the_loops_wrote(branch_a, lead, helpers):
    technicians = [
        UserFactory(first_name=f"<四&{index}>", last_name="李", branch=branch_a, roles=["technician"])
        for index in range(3)
    ]
    ticket = TicketFactory(
        unit__owner__branch=branch_a, technician=None if lead is None else technicians[lead]
    )
    ticket.helpers.set([technicians[index] for index in helpers])
    ticket = RepairTicket.objects.prefetch_related("helpers").get(pk=ticket.pk)
    expected = Template(TECHNICIAN_CHOICES_TEMPLATE).render(
        Context({"technicians": technicians, "ticket": ticket})
    )
    written = f"{technician_choices(technicians, ticket.technician_id)}|{technician_choices(technicians, ticket.helpers.all())}"
    assert written == expected
    assert written.count(" selected") == (lead is not None) + len(helpers)
