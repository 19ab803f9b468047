"""The customer's session: who it lets in, kept apart from the staff's login.

A customer signs in by a one-time code (the session holds the phone number: every customer on file with
that number is theirs, re-read on each request so a number removed from the file stops working) or by a
texted link (the session holds one ticket). It is not a `User`: staff views see an anonymous visitor
(`request.user` stays anonymous, so `login_required` sends them to the staff login), and portal views
ignore a session that has a staff login. Starting one ends the other: a customer's sign-in logs the staff
user out and a staff login drops the customer's part (apps.PortalConfig.ready).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from customers.models import CustomerPhone

SESSION_KEY = "portal"
# The WeChat openid of a visit that came from the Official Account's menu (portal.views.wechat_entry).
OPENID_KEY = "portal.wechat_openid"
# A customer's session lasts a week from sign-in (the staff's has its own age).
SESSION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class CustomerAccess:
    """What this session may open: the customers' own data, or one ticket only (`ticket_id`)."""

    customer_ids: frozenset[int]
    phone: str = ""
    ticket_id: int | None = None

    @property
    def whole_account(self) -> bool:
        return self.ticket_id is None


def start_customer_session(
    request: HttpRequest, *, phone: str = "", customer_id: int | None = None, ticket_id: int | None = None
) -> None:
    """A new session (a new key, so one fixed before sign-in is worthless) holding only the customer, and
    the WeChat openid the visit came with (wechat_openid)."""
    openid = wechat_openid(request)
    if request.user.is_authenticated:
        logout(request)  # flushes the session
    else:
        request.session.flush()
    if openid:
        request.session[OPENID_KEY] = openid
    if phone:
        request.session[SESSION_KEY] = {"phone": phone}
    else:
        request.session[SESSION_KEY] = {"customer": customer_id, "ticket": ticket_id}
    request.session.set_expiry(SESSION_SECONDS)


def wechat_openid(request: HttpRequest) -> str:
    value = request.session.get(OPENID_KEY)
    return value if isinstance(value, str) else ""


def keep_wechat_openid(request: HttpRequest, openid: str) -> None:
    request.session[OPENID_KEY] = openid[:64]


def end_customer_session(sender=None, request: HttpRequest | None = None, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)


def customer_access(request: HttpRequest) -> CustomerAccess | None:
    """The signed-in customer's access, or None (nobody, or a staff user: never both)."""
    if request.user.is_authenticated:
        return None
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    if data.get("phone"):
        phone = str(data["phone"])
        ids = frozenset(CustomerPhone.objects.filter(number=phone).values_list("customer_id", flat=True))
        return CustomerAccess(customer_ids=ids, phone=phone) if ids else None
    if isinstance(data.get("customer"), int) and isinstance(data.get("ticket"), int):
        return CustomerAccess(customer_ids=frozenset([data["customer"]]), ticket_id=data["ticket"])
    return None


def private(response: HttpResponse) -> HttpResponse:
    """The customer's pages hold personal data: no shared cache, no referrer with a token to other sites."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def customer_required(view):
    """Let a signed-in customer in (as `request.customer`); anybody else goes to the code sign-in."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        access = customer_access(request)
        if access is None:
            return private(redirect(reverse("portal:sign_in") + "?" + urlencode({"next": request.path})))
        request.customer = access
        return private(view(request, *args, **kwargs))

    return wrapper
