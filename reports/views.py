"""Report screens: the KPI dashboard, the monthly satisfaction report and its downloads, the daily
reports and the call register. Thin: pick the scope, call the report module, render or download.

The dashboard, the quality and monthly reports and the downloads read the replica when there is one
(`reads_from_replica`: they may lag a moment). The daily reports and the call register page do not:
a technician or a dispatcher reads them right after acting and must see what they just did."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.idempotency import idempotent
from aftersales.bounds import bad_filter_response, filter_status
from aftersales.exports import spreadsheet_response, xlsx_response
from aftersales.replica import reads_from_replica
from reports import access, exports, manufacturing, selectors, services
from reports.charts import dashboard_charts, quality_charts
from reports.daily import branch_day, technician_day
from reports.documents import branch_day_pdf, technician_day_pdf
from reports.findings import monthly_findings
from reports.forms import DateRangeForm, DayForm, MonthForm
from reports.kpis import dashboard
from reports.models import Export
from reports.periods import Month
from reports.quality import quality_report
from reports.register import register_rows, register_tickets
from reports.ticket_export import ticket_rows, with_first_phone
from tickets.forms import TicketFilterForm
from tickets.models import ServiceCategory
from tickets.selectors import clean_sort, filtered_tickets, sort_tickets

PAGE_SIZE = 50
TICKET_FORMATS = ("csv", "xlsx")
PREVIEW_FINDINGS = 20


@login_required
@require_GET
@reads_from_replica
def dashboard_view(request: HttpRequest) -> HttpResponse:
    access.require_dashboard(request.user)
    form, scope = access.month_scope(request.user, request.GET, Month.of(timezone.localdate()))
    board = dashboard(scope)
    context = {
        "form": form,
        "board": board,
        "scope_label": access.scope_label(scope.branch),
        "charts": dashboard_charts(board),
        "categories": ServiceCategory.choices,
        "may_export": access.may_export_monthly(request.user),
    }
    return render(request, "reports/dashboard.html", context, status=filter_status(form))


@login_required
@require_GET
@reads_from_replica
def quality(request: HttpRequest) -> HttpResponse:
    """Quality analytics (reports.quality): who may open it mirrors the KPI dashboard."""
    access.require_dashboard(request.user)
    form, scope = access.month_scope(request.user, request.GET, Month.of(timezone.localdate()))
    report = quality_report(scope)
    context = {
        "form": form,
        "report": report,
        "scope_label": access.scope_label(scope.branch),
        "charts": quality_charts(report),
        "list_url": reverse("tickets:list"),
        "may_export": access.may_export_manufacturing(request.user),
    }
    return render(request, "reports/quality.html", context, status=filter_status(form))


@login_required
@require_GET
@reads_from_replica
def quality_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The monthly quality report for manufacturing (reports.manufacturing), every branch, one click:
    headquarters' only (a branch's supervisor would otherwise read every other branch's tickets)."""
    access.require_manufacturing(request.user)
    form = MonthForm(request.GET, user=request.user, default_month=Month.previous(timezone.localdate()))
    if form.errors:
        return bad_filter_response(form)
    month, _chosen = form.values()
    if fmt not in ("xlsx", "pdf"):
        raise Http404("Unknown format")
    report = manufacturing.manufacturing_report(month)
    if fmt == "xlsx":
        return xlsx_response(
            manufacturing.sheets(report, company=settings.COMPANY_NAME), manufacturing.filename(month, fmt)
        )
    return exports.download(manufacturing.pdf(report), "application/pdf", manufacturing.filename(month, fmt))


@login_required
@require_GET
@reads_from_replica
def monthly(request: HttpRequest) -> HttpResponse:
    access.require_monthly(request.user)
    form, scope = access.month_scope(request.user, request.GET, Month.previous(timezone.localdate()))
    board = dashboard(scope)
    query = request.GET.copy()
    query["month"] = str(scope.month)
    context = {
        "form": form,
        "board": board,
        "scope_label": access.scope_label(scope.branch),
        "findings": monthly_findings(scope, limit=PREVIEW_FINDINGS),
        "query": query.urlencode(),
    }
    return render(request, "reports/monthly.html", context, status=filter_status(form))


@login_required
@require_GET
@reads_from_replica
def monthly_export(request: HttpRequest, fmt: str) -> HttpResponse:
    access.require_monthly(request.user)
    form, scope = access.month_scope(request.user, request.GET, Month.previous(timezone.localdate()))
    if form.errors:
        return bad_filter_response(form)
    return exports.monthly_report_file(scope, fmt)


def _technician_day(request: HttpRequest):
    """The form and the report of the chosen technician (a technician: always their own)."""
    user = request.user
    form = DayForm(request.GET, user=user)
    form.is_valid()
    day = form.cleaned_data.get("day") or timezone.localdate()
    if user.is_technician_only:
        technician = user
    else:
        access.require_branch_daily(user)
        technician = form.cleaned_data.get("technician")
    return form, day, (technician_day(technician, day) if technician else None)


@login_required
@require_GET
def technician_daily(request: HttpRequest) -> HttpResponse:
    form, day, report = _technician_day(request)
    own = request.user.is_technician_only
    return render(
        request,
        "reports/technician_daily.html",
        {"form": form, "day": day, "report": report, "own": own, "query": request.GET.urlencode()},
        status=filter_status(form),
    )


@login_required
@require_GET
def technician_daily_pdf(request: HttpRequest) -> HttpResponse:
    form, day, report = _technician_day(request)
    if form.errors:
        return bad_filter_response(form)
    if report is None:
        raise Http404("No technician chosen")
    filename = f"technician-daily-{report.technician.username}-{day:%Y%m%d}.pdf"
    return exports.download(technician_day_pdf(report), "application/pdf", filename)


def _branch_day(request: HttpRequest):
    access.require_branch_daily(request.user)
    form = DayForm(request.GET, user=request.user)
    form.is_valid()
    day = form.cleaned_data.get("day") or timezone.localdate()
    branch = access.report_branch(request.user, form.cleaned_data.get("branch"))
    return form, day, (branch_day(branch, day) if branch else None)


@login_required
@require_GET
def branch_daily(request: HttpRequest) -> HttpResponse:
    form, day, report = _branch_day(request)
    return render(
        request,
        "reports/branch_daily.html",
        {"form": form, "day": day, "report": report, "query": request.GET.urlencode()},
        status=filter_status(form),
    )


@login_required
@require_GET
def branch_daily_pdf(request: HttpRequest) -> HttpResponse:
    form, day, report = _branch_day(request)
    if form.errors:
        return bad_filter_response(form)
    if report is None:
        raise Http404("No branch chosen")
    filename = f"supervisor-daily-{report.branch.code}-{day:%Y%m%d}.pdf"
    return exports.download(branch_day_pdf(report), "application/pdf", filename)


def _register(request: HttpRequest):
    access.require_register(request.user)
    form = DateRangeForm(request.GET or None, user=request.user)
    if not form.is_bound:
        form = DateRangeForm({}, user=request.user)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    branch = access.report_branch(request.user, data.get("branch"))
    return form, register_tickets(data["date_from"], data["date_to"], branch)


@login_required
@require_GET
def call_register(request: HttpRequest) -> HttpResponse:
    form, tickets = _register(request)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page")) if tickets is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/call_register.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "company_name": settings.COMPANY_NAME,
            "printed_at": timezone.now(),
        },
        status=filter_status(form),
    )


@login_required
@require_GET
@reads_from_replica
def call_register_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form, tickets = _register(request)
    if tickets is None:
        return bad_filter_response(form)
    data = form.cleaned_data
    return spreadsheet_response(
        fmt,
        register_rows(tickets),
        title=_("叫修登记簿"),
        filename=f"call-register-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}",
    )


@login_required
@require_GET
@reads_from_replica
def ticket_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The ticket list's rows for its filters and sort, as CSV or xlsx, streamed (any length)."""
    form = TicketFilterForm(request.GET or None, user=request.user)
    tickets = sort_tickets(filtered_tickets(request.user, form), clean_sort(request.GET.get("sort", "")))
    return spreadsheet_response(
        fmt,
        ticket_rows(with_first_phone(tickets)),
        title=_("工单"),
        filename=f"tickets-{timezone.localtime():%Y%m%d-%H%M}",
    )


# --- long exports as tasks (reports.export_jobs) ----------------------------------------------------


@login_required
@require_POST
@idempotent
def monthly_export_start(request: HttpRequest) -> HttpResponse:
    """The report page's buttons: the report is built by a worker; its page shows the progress."""
    access.require_monthly(request.user)
    fmt = request.POST.get("fmt", "")
    form, scope = access.month_scope(request.user, request.POST, Month.previous(timezone.localdate()))
    if form.errors:
        return bad_filter_response(form)
    if fmt not in exports.MONTHLY_FORMATS:
        return HttpResponseBadRequest("Unknown format")
    export = services.start_monthly_export(user=request.user, scope=scope, fmt=fmt)
    return redirect(export)


@login_required
@require_POST
@idempotent
def ticket_export_start(request: HttpRequest) -> HttpResponse:
    """The ticket list's export when the list is long: the same rows, built by a worker."""
    fmt = request.POST.get("fmt", "")
    if fmt not in TICKET_FORMATS:
        return HttpResponseBadRequest("Unknown format")
    query = QueryDict(request.POST.get("query", "")).urlencode()  # only a query string, re-encoded
    export = services.start_ticket_export(user=request.user, query=query, fmt=fmt)
    return redirect(export)


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The export's progress bar and, once done, its download; htmx polls the partial while it runs."""
    export = selectors.access_export(request.user, pk)
    template = "reports/export_detail.html#progress" if request.htmx else "reports/export_detail.html"
    return render(request, template, {"export": export})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = selectors.access_export(request.user, pk)
    if export.state != Export.State.DONE:
        raise Http404("Not ready")
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename,
        content_type=exports.CONTENT_TYPES[export.fmt],
    )


@login_required
@require_GET
def my_exports(request: HttpRequest) -> HttpResponse:
    context = {"exports": selectors.exports_of(request.user), "keep_days": settings.EXPORT_KEEP_DAYS}
    return render(request, "reports/exports.html", context)
