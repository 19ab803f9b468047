from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist

from customers.models import Customer, CustomerPhone, Unit

register = template.Library()


@register.filter
def change_label(item: dict, is_unit: bool) -> str:
    """The changed field's label in the reader's language (the stored label is the writer's)."""
    if item["field"] == "phones":
        return str(CustomerPhone._meta.get_field("number").verbose_name)
    try:
        return str((Unit if is_unit else Customer)._meta.get_field(item["field"]).verbose_name)
    except FieldDoesNotExist:
        return item.get("label", item["field"])
