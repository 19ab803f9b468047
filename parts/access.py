"""What every parts screen shares: the access helpers (404 outside the user's scope, 403 for a role
that may not act), paging, and running a service with its message shown."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest

from aftersales.errors import UserError
from parts.models import Part, ReceivingNote, Requisition, SupplierClaim, Warehouse

PAGE_SIZE = 25


def page_of(request: HttpRequest, rows) -> tuple:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def require_role(user, *roles: str, message: str) -> None:
    if not (user.is_superuser or user.has_role(*roles)):
        raise PermissionDenied(message)


def run_service(request: HttpRequest, action: Callable, success: str | Callable) -> bool:
    """Call a service; show its Chinese message on failure, `success` on success."""
    try:
        result = action()
    except UserError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def part_codes_context() -> dict:
    return {"catalogue": Part.objects.active().only("code", "name", "specification")}


def access_warehouse(user, pk: int) -> Warehouse:
    try:
        return Warehouse.objects.visible_to(user).select_related("branch", "technician").get(pk=pk)
    except Warehouse.DoesNotExist as exc:
        raise Http404("No such warehouse") from exc


def access_requisition(user, pk: int, *, queryset=None) -> Requisition:
    """The requisition in the user's scope, or 404; `queryset`: the rows to read it with (the API's
    lines and parts), so that the scope check is the read itself."""
    base = (
        queryset
        if queryset is not None
        else Requisition.objects.select_related(
            "ticket__unit__product_model", "requested_by", "technician", "warehouse", "decided_by", "branch"
        )
    )
    try:
        return base.visible_to(user).get(pk=pk)
    except Requisition.DoesNotExist as exc:
        raise Http404("No such requisition") from exc


def access_receiving_note(user, pk: int, *, queryset=None) -> ReceivingNote:
    """The receiving note of a warehouse the user sees, or 404; `queryset`: as access_requisition."""
    base = (
        queryset
        if queryset is not None
        else ReceivingNote.objects.select_related("warehouse__branch", "supplier", "received_by")
    )
    try:
        return base.get(pk=pk, warehouse__in=Warehouse.objects.visible_to(user))
    except ReceivingNote.DoesNotExist as exc:
        raise Http404("No such receiving note") from exc


def access_claim(user, pk: int) -> SupplierClaim:
    try:
        return SupplierClaim.objects.visible_to(user).select_related("supplier", "created_by").get(pk=pk)
    except SupplierClaim.DoesNotExist as exc:
        raise Http404("No such claim") from exc
