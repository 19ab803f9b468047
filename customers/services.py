from __future__ import annotations

from django.db import transaction

from customers.models import Customer, CustomerPhone, Unit


@transaction.atomic
def register_customer(*, branch, phone: str, **fields) -> Customer:
    """A new customer with their first (normalised) phone number."""
    customer = Customer.objects.create(branch=branch, **fields)
    CustomerPhone.objects.create(customer=customer, number=phone)
    return customer


def register_unit(*, owner: Customer, **fields) -> Unit:
    return Unit.objects.create(owner=owner, **fields)
