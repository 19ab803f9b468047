"""The call register (叫修登记簿, §7-七、八; R7.call-register): every call reported in a date range, in
time order, with what the paper book holds: number, time, customer, address, phone, model, serial,
fault, the technician dispatched and where the ticket stands."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch
from customers.models import CustomerPhone
from customers.phones import format_phone
from reports.periods import range_bounds
from tickets.models import RepairTicket


def register_tickets(first: datetime.date, last: datetime.date, branch: Branch | None) -> QuerySet:
    """One query for any number of rows: the first phone number comes from a subquery, not per row."""
    start, end = range_bounds(first, last)
    tickets = RepairTicket.objects.filter(reported_at__gte=start, reported_at__lt=end)
    if branch is not None:
        tickets = tickets.filter(branch=branch)
    first_phone = (
        CustomerPhone.objects.filter(customer=OuterRef("customer_id")).order_by("pk").values("number")[:1]
    )
    return (
        tickets.select_related("branch", "customer", "unit__product_model", "technician")
        .only(
            "number",
            "reported_at",
            "fault_description",
            "state",
            "import_batch",  # a historical ticket's state reads 已关闭(历史导入)
            "branch__code",
            "customer__name",
            "customer__address",
            "unit__serial_number",
            "unit__product_model__code",
            "unit__product_model__name",
            "technician__username",
            "technician__first_name",
            "technician__last_name",
        )
        .annotate(phone=Subquery(first_phone))
        .order_by("reported_at", "pk")
    )


def register_header() -> list[str]:
    return [
        _("工单号"),
        _("网点"),
        _("报修时间"),
        _("客户"),
        _("地址"),
        _("电话"),
        _("产品型号"),
        _("序列号"),
        _("故障描述"),
        _("派工技术员"),
        _("状态"),
    ]


def register_line(ticket: RepairTicket) -> list[str]:
    return [
        ticket.number,
        ticket.branch.code,
        timezone.localtime(ticket.reported_at).strftime("%Y-%m-%d %H:%M"),
        ticket.customer.name,
        ticket.customer.address,
        format_phone(ticket.phone) if ticket.phone else "",
        f"{ticket.unit.product_model.code} {ticket.unit.product_model.name}",
        ticket.unit.serial_number,
        ticket.fault_description,
        str(ticket.technician or ""),
        str(ticket.state_label),
    ]


def register_rows(tickets: QuerySet) -> Iterator[list[str]]:
    yield register_header()
    for ticket in tickets.iterator(chunk_size=2000):
        yield register_line(ticket)
