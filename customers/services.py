from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from customers.models import Customer, CustomerChange, CustomerPhone, Unit
from customers.phones import format_phone
from customers.signals import location_changed, search_fields_changed

LOCATION_FIELDS = frozenset({"service_zone", "distance_km"})
# What the ticket list's search matches of a customer and a unit (tickets.search).
SEARCHED_FIELDS = frozenset({"name", "phones", "serial_number"})
# The office keeps the customer file (DESIGN §1: the dispatcher finds the customer, the supervisor visits).
EDITORS = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


@transaction.atomic
def register_customer(*, branch, phone: str, **fields) -> Customer:
    """A new customer with their first (normalised) phone number."""
    customer = Customer.objects.create(branch=branch, **fields)
    CustomerPhone.objects.create(customer=customer, number=phone)
    return customer


def register_unit(*, owner: Customer, **fields) -> Unit:
    return Unit.objects.create(owner=owner, **fields)


def file_changed(record: Customer | Unit, *, changed_fields: Iterable[str]) -> None:
    """Every write of a customer's or a unit's fields ends here, whatever its path (the services below,
    the API and the portal through them, the admin), inside the write's transaction: the apps that keep
    what they read of the file follow it. A new zone or distance moves the open tickets' deadlines; a
    new name, phone number or serial number is found by the ticket list's search. `changed_fields`: the
    model's field names, and "phones" for the customer's phone numbers."""
    changed = set(changed_fields)
    if isinstance(record, Customer):
        if LOCATION_FIELDS & changed:
            location_changed.send(sender=Customer, customer=record)
        if SEARCHED_FIELDS & changed:
            search_fields_changed.send(sender=Customer, customer=record)
    elif SEARCHED_FIELDS & changed:
        search_fields_changed.send(sender=Unit, unit=record)


@transaction.atomic
def save_customer(customer: Customer, *, changed_fields: Iterable[str]) -> Customer:
    """Save an edited customer and tell the apps that keep what changed (file_changed)."""
    customer.save()
    file_changed(customer, changed_fields=changed_fields)
    return customer


def may_edit_customer(user, customer: Customer) -> bool:
    return user.is_active and user.has_role(*EDITORS) and user.in_branch(customer.branch_id)


def _check_editor(user, customer: Customer) -> None:
    if not may_edit_customer(user, customer):
        raise PermissionDenied(_("只有本网点的客服/调度和服务主任可以修改客户资料。"))


def _shown(instance, name: str) -> str:
    """A field's value as the customer page shows it (choice labels, not codes)."""
    display = getattr(instance, f"get_{name}_display", None)
    value = display() if display else getattr(instance, name)
    return "" if value is None else str(value)


def _apply(instance, fields: dict) -> list[dict]:
    """Set `fields` on the instance; return what changed, for the history row."""
    changes = []
    for name, value in fields.items():
        if getattr(instance, name) == value:
            continue
        before = _shown(instance, name)
        setattr(instance, name, value)
        label = str(instance._meta.get_field(name).verbose_name)
        changes.append({"field": name, "label": label, "before": before, "after": _shown(instance, name)})
    return changes


def edit_customer(*, user, customer_id: int, fields: dict, phones: list[str]) -> CustomerChange | None:
    """Correct a customer's details and phone numbers (normal form) in one transaction,
    with a history row; the apps that keep what changed follow (file_changed).
    Returns None when nothing changed."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        _check_editor(user, customer)
        changes = _apply(customer, fields)
        if changes:
            customer.save()
        old_phones = list(customer.phones.values_list("number", flat=True))
        if old_phones != phones:
            customer.phones.exclude(number__in=phones).delete()
            for number in phones:
                CustomerPhone.objects.get_or_create(customer=customer, number=number)
            changes.append(
                {
                    "field": "phones",
                    "label": str(CustomerPhone._meta.get_field("number").verbose_name),
                    "before": " / ".join(format_phone(number) for number in old_phones),
                    "after": " / ".join(format_phone(number) for number in phones),
                }
            )
        if not changes:
            return None
        file_changed(customer, changed_fields=[change["field"] for change in changes])
        return CustomerChange.objects.create(customer=customer, actor=user, changes=changes)


def edit_unit(*, user, unit_id: int, fields: dict) -> CustomerChange | None:
    """Correct a unit's details (purchase proof, channel, card number) with a history row on its
    owner's file. Returns None when nothing changed."""
    with transaction.atomic():
        unit = Unit.objects.select_for_update(of=("self",)).select_related("owner").get(pk=unit_id)
        _check_editor(user, unit.owner)
        changes = _apply(unit, fields)
        if not changes:
            return None
        unit.save()
        file_changed(unit, changed_fields=[change["field"] for change in changes])
        return CustomerChange.objects.create(customer=unit.owner, unit=unit, actor=user, changes=changes)
