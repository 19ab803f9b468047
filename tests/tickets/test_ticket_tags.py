"""The ticket pages' filters that stand in for a slower built-in: the same text as what they replace."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State

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


def _tags_only(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


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
    assert _tags_only(written) == _tags_only(expected)
    assert str(tickets[0].number) in written
