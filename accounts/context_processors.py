from django.http import HttpRequest

from accounts.models import Role


def roles(request: HttpRequest) -> dict:
    """Expose the user's roles to templates for the navigation (one cached query per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": frozenset(), "Role": Role}
    return {"user_roles": user.roles, "Role": Role}
