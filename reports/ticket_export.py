"""The ticket list as a spreadsheet (issue #16): the rows the list shows for the same filters and sort,
streamed through the report writers (reports.exports: formula-neutralising CSV, streamed xlsx)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import CustomerPhone
from customers.phones import format_phone
from warranty.templatetags.warranty_tags import REMEDY_LABELS


def with_first_phone(tickets: QuerySet) -> QuerySet:
    """The customer's first phone number in the same query (no query per row)."""
    first_phone = (
        CustomerPhone.objects.filter(customer=OuterRef("customer_id")).order_by("pk").values("number")[:1]
    )
    return tickets.annotate(phone=Subquery(first_phone))


def ticket_rows(tickets: QuerySet) -> Iterator[list]:
    yield [
        _("工单号"),
        _("网点"),
        _("状态"),
        _("优先级"),
        _("报修时间"),
        _("下一期限"),
        _("客户"),
        _("电话"),
        _("产品"),
        _("序列号"),
        _("故障类别"),
        _("故障描述"),
        _("技术员"),
        _("保修结论"),
    ]
    zone = timezone.get_current_timezone()
    for ticket in tickets.iterator(chunk_size=2000):
        yield [
            ticket.number,
            ticket.branch.code,
            str(ticket.get_state_display()),
            str(ticket.get_priority_display()),
            timezone.localtime(ticket.reported_at, zone).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(ticket.due_at, zone).strftime("%Y-%m-%d %H:%M") if ticket.is_open else "",
            ticket.customer.name,
            format_phone(ticket.phone) if ticket.phone else "",
            ticket.unit.product_model.name,
            ticket.unit.serial_number,
            str(ticket.get_fault_category_display()),
            ticket.fault_description,
            str(ticket.technician or ""),
            str(REMEDY_LABELS.get(ticket.warranty_remedy, ticket.warranty_remedy)),
        ]
