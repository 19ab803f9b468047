"""审计日志: the admins' screen over the audit trail, and its export for auditors (CSV or xlsx, streamed)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from aftersales.bounds import bad_filter_response, filter_status
from aftersales.exports import spreadsheet_response
from audit.forms import AuditFilterForm
from audit.selectors import audit_entries, export_rows, require_audit_reader

PAGE_SIZE = 50


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    require_audit_reader(request.user)
    form = AuditFilterForm(request.GET or None)
    entries = audit_entries(**form.filters()) if form.is_valid() else audit_entries()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=filter_status(form),
    )


@login_required
@require_GET
def audit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The rows of the screen's filters, every page."""
    require_audit_reader(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return bad_filter_response(form)
    entries = audit_entries(**form.filters()) if form.is_bound else audit_entries()
    return spreadsheet_response(
        fmt,
        export_rows(entries),
        title=_("审计日志"),
        filename=f"audit-{timezone.localtime():%Y%m%d-%H%M}",
    )
