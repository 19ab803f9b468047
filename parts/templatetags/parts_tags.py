from django import template

from parts.screens import may_open as may_open_screen

register = template.Library()


@register.filter
def may_open(user, screen: str) -> bool:
    """{% if user|may_open:"parts:receive" %}: the link only for a role the screen lets in."""
    return may_open_screen(user, screen)
