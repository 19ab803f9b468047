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
from audit.selectors import audit_entries, export_rows, object_type_choices, require_audit_reader

PAGE_SIZE = 50


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    require_audit_reader(request.user)
    form = AuditFilterForm(request.GET or None, object_types=object_type_choices())
    if not form.is_bound:
        entries = audit_entries()
    elif form.is_valid():
        entries = audit_entries(**form.filters())
    else:  # a wrong filter lists nothing until it is put right (not everything, as if there were none)
        entries = audit_entries().none()
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
    form = AuditFilterForm(request.GET or None, object_types=object_type_choices())
    if form.is_bound and not form.is_valid():
        return bad_filter_response(form)
    entries = audit_entries(**form.filters()) if form.is_bound else audit_entries()
    return spreadsheet_response(
        fmt,
        export_rows(entries),
        title=_("审计日志"),
        filename=f"audit-{timezone.localtime():%Y%m%d-%H%M}",
    )
