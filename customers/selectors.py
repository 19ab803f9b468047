"""Read queries of the customers app that views, the API and other apps share."""

from __future__ import annotations

from django.db.models import Q

from customers.models import Customer, CustomerPhone, Unit
from customers.phones import search_key

SEARCH_LIMIT = 10


def find_customers(user, query: str):
    """The first customers matching `query`, for the intake's search box."""
    return matching_customers(user, query).with_phones_and_units().order_by("name")[:SEARCH_LIMIT]


def customer_list(user, query: str):
    """The customer list page: every customer this user may see, or those matching `query`, with what a
    row shows (phones, units) in a constant number of queries."""
    customers = matching_customers(user, query) if query.strip() else Customer.objects.visible_to(user)
    return customers.select_related("branch").with_phones_and_units().order_by("name", "pk")


def matching_customers(user, query: str):
    """Customers matching a phone number (any form, prefix), a serial number or a name.

    Each way of matching is its own indexed lookup and their ids are united first: OR-ing them over
    joins made PostgreSQL walk every customer (1.2 s at 280,000 customers, docs/performance.md).
    """
    query = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a text parameter
    if len(query) < 2:
        return Customer.objects.none()
    # Serial numbers are stored upper-case (NewUnitForm), so the unique field's pattern index serves this.
    matches = Unit.objects.filter(serial_number__startswith=query.upper()).order_by().values("owner_id")
    if not any(character.isdigit() for character in query):
        matches = matches.union(Customer.objects.filter(name__icontains=query).order_by().values("pk"))
    digits = search_key(query)
    if len(digits) >= 3:
        phones = Q(number__startswith=digits)
        if digits[0] not in "01" and len(digits) >= 7:
            # A landline typed without its area code (mobiles start with 1, area codes with 0).
            phones |= Q(number__endswith=digits)
        matches = matches.union(CustomerPhone.objects.filter(phones).order_by().values("customer_id"))
    return Customer.objects.visible_to(user).filter(pk__in=matches)
