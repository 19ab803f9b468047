from django import template

from customers.phones import format_phone

register = template.Library()


@register.filter
def phone(normal: str | None) -> str:
    """A stored phone number as people read it (138 0013 8000, 021-61234567); — when there is none."""
    return format_phone(normal) if normal else "—"
