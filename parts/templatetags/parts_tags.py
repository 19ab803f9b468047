from __future__ import annotations

from django import template

from accounts.models import Role
from parts.screens import may_open as may_open_screen
from parts.selectors import outstanding_usages, requisitions_to_issue

register = template.Library()


@register.filter
def may_open(user, screen: str) -> bool:
    """{% if user|may_open:"parts:receive" %}: the link only for a role the screen lets in."""
    return may_open_screen(user, screen)


@register.inclusion_tag("parts/_home_work.html")
def parts_home_work(user) -> dict:
    """The warehouse keeper's work on the home page (`{% parts_home_work user %}`): requisitions to
    issue and part lines to settle, each count the length of the list it links to (same selectors)."""
    if not user.has_role(Role.WAREHOUSE):
        return {"keeper": False}
    return {
        "keeper": True,
        "to_issue": requisitions_to_issue(user).count(),
        "usages_outstanding": outstanding_usages(user).count(),
    }
