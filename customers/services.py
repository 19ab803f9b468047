from __future__ import annotations

from django.db import transaction

from customers.models import Customer, CustomerPhone, Unit
from customers.signals import location_changed

LOCATION_FIELDS = frozenset({"service_zone", "distance_km"})


@transaction.atomic
def register_customer(*, branch, phone: str, **fields) -> Customer:
    """A new customer with their first (normalised) phone number."""
    customer = Customer.objects.create(branch=branch, **fields)
    CustomerPhone.objects.create(customer=customer, number=phone)
    return customer


def register_unit(*, owner: Customer, **fields) -> Unit:
    return Unit.objects.create(owner=owner, **fields)


@transaction.atomic
def save_customer(customer: Customer, *, changed_fields) -> Customer:
    """Save an edited customer; when the zone or distance changed, tell the apps that keep deadlines."""
    customer.save()
    if LOCATION_FIELDS & set(changed_fields):
        location_changed.send(sender=Customer, customer=customer)
    return customer
