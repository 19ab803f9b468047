"""The web request an audit row is written in, for what the services are not given: the client's IP
address, the signed-in user (for the signals of group and permission changes) and whether the change
comes through the Django admin (whose old values are kept for the admin's log entry)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from axes.helpers import get_client_ip_address
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass
class RequestContext:
    request: HttpRequest
    ip_address: str | None
    in_admin: bool
    # Old → new values of the rows saved through the admin in this request, by (model label, pk).
    admin_changes: dict[tuple[str, str], dict] = field(default_factory=dict)

    @property
    def user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


_current: ContextVar[RequestContext | None] = ContextVar("audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the login throttling sees it (the proxy settings of django-axes)."""
    return get_client_ip_address(request) or None


def admin_prefix() -> str:
    """Where the Django admin is mounted; a URL configuration without it (a test's) has none to be in."""
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return "\0"  # no path starts with it


class AuditContextMiddleware:
    """Makes the request known to `audit.services.record` while the view runs (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        context = RequestContext(
            request=request,
            ip_address=client_ip(request),
            in_admin=request.path.startswith(admin_prefix()),
        )
        token = _current.set(context)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
