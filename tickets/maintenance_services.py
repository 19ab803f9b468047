"""Generating the preventive maintenance visits of the contracts' plans (tickets.maintenance)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.texts import list_text
from customers.models import Unit
from tickets.maintenance import DONE_STATES, MaintenanceVisit
from tickets.models import (
    FaultCause,
    Priority,
    RepairTicket,
    ServiceCategory,
    State,
    TicketEvent,
    TicketKind,
)
from tickets.services import allocate_ticket_number, search_text_of
from warranty.models import MaintenanceContract

# Visits are generated this many days ahead of their planned day, so that dispatch can book them.
LEAD_DAYS = 14
# The visit is due by the end of its planned working day.
DUE_TIME = datetime.time(17, 30)


def _covered_units(contract: MaintenanceContract) -> list[Unit]:
    if contract.unit_id:
        return [contract.unit]
    return list(
        Unit.objects.filter(owner_id=contract.customer_id).select_related("product_model").order_by("pk")
    )


def generate_visits(today: datetime.date | None = None) -> int:
    """Log a ticket for every planned visit of the active contracts up to LEAD_DAYS ahead that has none
    yet; returns how many. Safe to run twice: each visit is claimed by its unique row first."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=LEAD_DAYS)
    contracts = (
        MaintenanceContract.objects.filter(
            end_date__gte=today, start_date__lte=horizon, coordinator__isnull=False
        )
        .exclude(visit_every_months__isnull=True, visit_dates=[])
        .select_related("customer__branch", "unit__product_model", "coordinator")
        .order_by("pk")
    )
    created = 0
    for contract in contracts:
        planned = [day for day in contract.planned_dates() if day <= horizon]
        if not planned:
            continue
        units = _covered_units(contract)
        existing = set(
            MaintenanceVisit.objects.filter(contract=contract).values_list("unit_id", "planned_date")
        )
        for unit in units:
            for day in planned:
                if (unit.pk, day) not in existing and _claim_visit(contract, unit, day, today):
                    created += 1
    return created


def _claim_visit(contract: MaintenanceContract, unit: Unit, day: datetime.date, today: datetime.date) -> bool:
    """Claim the visit (its unique row) and log its ticket in one transaction; False if another run has."""
    try:
        with transaction.atomic():
            ticket = _log_maintenance_ticket(contract, unit, day, today)
            MaintenanceVisit.objects.create(
                contract=contract,
                unit=unit,
                planned_date=day,
                ticket=ticket,
                checklist=contract.checklist_items,
                carried_over=[str(missed) for missed in _missed_before(contract, unit, day)],
            )
    except IntegrityError:
        return False  # claimed meanwhile by another run: its ticket stands, ours is rolled back
    return True


def _missed_before(contract: MaintenanceContract, unit: Unit, day: datetime.date) -> list[datetime.date]:
    """Earlier visits of the unit under this contract whose day passed without the visit done."""
    return list(
        MaintenanceVisit.objects.filter(contract=contract, unit=unit, planned_date__lt=day)
        .exclude(ticket__state__in=[*DONE_STATES, State.CANCELLED])
        .filter(ticket__completed_at__isnull=True)
        .values_list("planned_date", flat=True)
        .order_by("planned_date")
    )


def _log_maintenance_ticket(
    contract: MaintenanceContract, unit: Unit, day: datetime.date, today: datetime.date
) -> RepairTicket:
    now = timezone.now()
    branch = contract.customer.branch
    missed = _missed_before(contract, unit, day)
    description = _("定期保养:合同 %(contract)s,计划 %(day)s。") % {"contract": contract.number, "day": day}
    if missed:
        description += _("此前计划 %(days)s 的保养逾期未做,本次一并处理。") % {
            "days": list_text(str(missed_day) for missed_day in missed)
        }
    due_at = datetime.datetime.combine(day, DUE_TIME, tzinfo=timezone.get_default_timezone())
    number = allocate_ticket_number(branch)
    ticket = RepairTicket.objects.create(
        number=number,
        branch=branch,
        customer=contract.customer,
        unit=unit,
        reported_by=contract.coordinator,
        kind=TicketKind.MAINTENANCE,
        priority=Priority.NORMAL,
        fault_category=unit.product_model.category,
        fault_description=description,
        search_text=search_text_of(
            number=number, customer=contract.customer, unit=unit, fault_description=description
        ),
        fault_cause=FaultCause.NONE,
        service_category=ServiceCategory.CONTRACT,
        reported_at=now,
        state_changed_at=now,
        due_at=due_at,
    )
    TicketEvent.objects.create(
        ticket=ticket,
        actor=contract.coordinator,
        at=now,
        action="log_call",
        to_state=ticket.state,
        note=description,
        data={"maintenance": {"contract": contract.number, "planned_date": str(day)}},
    )
    return ticket
