from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.idempotency import idempotent
from accounts.models import Branch
from aftersales.errors import Conflict, UserError
from customers.phones import search_key
from surveys import services
from surveys.access import access_call, access_complaint
from surveys.forms import (
    AnswerForm,
    CallForm,
    ComplaintFilterForm,
    ComplaintForm,
    LinkForm,
    PlanForm,
    SurveyForm,
    VisitForm,
)
from surveys.models import Complaint, ComplaintSource, ComplaintState, FollowUpCall
from surveys.permissions import (
    COMPLAINT_ACTORS,
    may_act_on_complaint,
    may_call,
    may_view_calls,
    may_view_complaints,
)
from tickets.access import access_ticket

PAGE_SIZE = 25


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- follow-up calls ---


@login_required
@require_GET
def call_queue(request: HttpRequest) -> HttpResponse:
    """今日回访: the branch's calls due today or earlier, oldest first."""
    if not may_view_calls(request.user):
        raise PermissionDenied(_("您没有查看回访队列的权限。"))
    today = timezone.localdate()
    calls = FollowUpCall.objects.visible_to(request.user).due(today).for_queue()
    branches = []
    if request.user.sees_all_branches:
        # Headquarters sees every branch's queue, or one of them (?branch=SH).
        branches = Branch.objects.exclude(kind=Branch.Kind.HEADQUARTERS).order_by("code")
        if request.GET.get("branch"):
            calls = calls.filter(branch__code=request.GET["branch"])
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/call_queue.html",
        {
            "page": page,
            "today": today,
            "branches": branches,
            "branch": request.GET.get("branch", ""),
            "query": _query_without_page(request),
        },
    )


def _call_context(request: HttpRequest, call: FollowUpCall, form=None, survey_form=None) -> dict:
    survey = call.ticket.survey
    needs_survey = call.outcome == "pending" and services.carries_survey(call) and not survey.is_answered
    can_record = call.outcome == "pending" and may_call(request.user, call.branch_id)
    return {
        "call": call,
        "ticket": call.ticket,
        "survey": survey,
        "link_state": survey.link_state(timezone.now()),
        "history": call.ticket.follow_up_calls.exclude(pk=call.pk)
        .select_related("called_by")
        .order_by("due_on"),
        "carries_survey": services.carries_survey(call),
        "can_record": can_record,
        "form": form or (CallForm() if can_record else None),
        "survey_form": survey_form or (SurveyForm(prefix="survey") if can_record and needs_survey else None),
        "link_form": LinkForm(initial={"send_sms": True}) if can_record and not survey.is_answered else None,
    }


CALL_DETAIL = FollowUpCall.objects.select_related(
    "ticket__customer",
    "ticket__unit__product_model",
    "ticket__technician",
    "ticket__survey",
    "ticket__branch",
).prefetch_related("ticket__customer__phones")


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One screen for one call: the customer, the unit, the outcome and (first call) the survey."""
    call = access_call(request.user, pk, queryset=CALL_DETAIL)
    if not may_view_calls(request.user):
        raise PermissionDenied(_("您没有查看回访的权限。"))
    if request.method == "GET":
        return render(request, "surveys/call_detail.html", _call_context(request, call))
    if not may_call(request.user, call.branch_id):
        raise PermissionDenied(_("只有本网点的客服可以记录回访。"))
    form = CallForm(request.POST)
    context = _call_context(request, call, form=form)
    survey_form = context["survey_form"]
    if survey_form is not None:
        survey_form = context["survey_form"] = SurveyForm(request.POST, prefix="survey")
    if form.is_valid():
        reached = form.cleaned_data["reached"]
        survey_ok = survey_form is None or not reached or survey_form.is_valid()
        if survey_ok:
            answers = survey_form.answers() if survey_form is not None and reached else None
            try:
                call = services.record_call(call_id=call.pk, user=request.user, record=form.record(answers))
            except Conflict as exc:
                messages.error(request, str(exc))
                return redirect(call)
            except UserError as exc:
                target = survey_form if survey_form is not None and exc.field in survey_form.fields else form
                target.add_error(exc.field if exc.field in target.fields else None, str(exc))
            else:
                return _after_call(request, call)
    messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(request, "surveys/call_detail.html", context, status=200)


def _after_call(request: HttpRequest, call: FollowUpCall) -> HttpResponse:
    if call.outcome == "reached":
        message = _("已记录工单 %(number)s 的回访。") % {"number": call.ticket.number}
        complaint = Complaint.objects.filter(follow_up_call=call).first()
        if complaint is not None:
            messages.success(
                request, message + _("已登记投诉 %(number)s,请补充处理。") % {"number": complaint.number}
            )
            return redirect(complaint)
        messages.success(request, message)
    elif call.outcome == "unreachable":
        messages.warning(request, _("已拨打 %(n)d 次仍未接通,该回访记为无法联系。") % {"n": call.attempts})
    else:
        messages.info(request, _("未接通,已安排 %(day)s 再次回访。") % {"day": call.due_on.isoformat()})
    return redirect("surveys:call_queue")


@login_required
@require_POST
@idempotent
def call_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a fresh survey link (the old one stops working), show it once, text it if asked."""
    call = access_call(request.user, pk, queryset=FollowUpCall.objects.select_related("ticket__survey"))
    form = LinkForm(request.POST)
    form.is_valid()
    try:
        url, phone = services.issue_link(
            survey_id=call.ticket.survey.pk,
            user=request.user,
            send_sms=form.cleaned_data.get("send_sms", False),
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        if phone:
            messages.success(request, _("调查链接已发送至 %(phone)s:%(url)s") % {"phone": phone, "url": url})
        else:
            messages.success(request, _("新的调查链接(旧链接已失效,请复制告知客户):%(url)s") % {"url": url})
    return redirect(call)


# --- the customer's survey page (public, no login) ---


def _public(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never send it on to another site, never let a search engine keep it.
    # ("no-referrer" would also make the browser send `Origin: null` with the form, failing CSRF.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render_public(request: HttpRequest, template: str, context: dict | None = None, status: int = 200):
    context = {"company_name": settings.COMPANY_NAME, **(context or {})}
    return _public(render(request, f"surveys/public/{template}", context, status=status))


def _refused(request: HttpRequest, exc: UserError) -> HttpResponse:
    """404 for a token nobody was given, 410 for a link used or expired: the same page whatever the
    token looks like, so it tells nothing about other surveys."""
    status = 404 if isinstance(exc, services.LinkNotFound) else 410
    return _render_public(request, "refused.html", {"reason": str(exc), "status": status}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@idempotent
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = services.find_by_token(token)
    except UserError as exc:
        return _refused(request, exc)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_by_link(token=token, answers=form.answers())
        except UserError as exc:
            return _refused(request, exc)
        return _public(redirect("surveys:thanks"))
    return _render_public(request, "survey.html", {"survey": survey, "form": form})


@never_cache
@require_GET
def survey_thanks(request: HttpRequest) -> HttpResponse:
    return _render_public(request, "thanks.html")


# --- complaints ---


def filtered_complaints(user, form: ComplaintFilterForm):
    complaints = Complaint.objects.visible_to(user).for_list()
    if not form.is_valid():
        return complaints
    data = form.cleaned_data
    if data["state"] == "open":
        complaints = complaints.exclude(state=ComplaintState.CLOSED)
    elif data["state"]:
        complaints = complaints.filter(state=data["state"])
    if data["severity"]:
        complaints = complaints.filter(severity=data["severity"])
    if data.get("branch"):
        complaints = complaints.filter(branch=data["branch"])
    query = data["q"].strip()
    if query:
        condition = (
            Q(number__icontains=query)
            | Q(contact_name__icontains=query)
            | Q(ticket__number__istartswith=query)
        )
        digits = search_key(query)
        if len(digits) >= 3:
            condition |= Q(contact_phone__startswith=digits)
        complaints = complaints.filter(condition)
    return complaints


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    if not may_view_complaints(request.user):
        raise PermissionDenied(_("您没有查看投诉的权限。"))
    form = ComplaintFilterForm(request.GET or None, user=request.user)
    page = Paginator(filtered_complaints(request.user, form), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/complaint_list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "now": timezone.now(),
            "may_open": request.user.has_role(*COMPLAINT_ACTORS["open"]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def complaint_new(request: HttpRequest) -> HttpResponse:
    """登记投诉: by phone or letter, or from a survey; prefilled from ?ticket= and ?source=."""
    user = request.user
    if not user.has_role(*COMPLAINT_ACTORS["open"]):
        raise PermissionDenied(_("您没有登记投诉的权限。"))
    ticket_id = request.POST.get("ticket") or request.GET.get("ticket")
    ticket = None
    if ticket_id:
        try:
            ticket = access_ticket(user, int(ticket_id))
        except ValueError as exc:
            raise Http404("No such ticket") from exc
    source = request.GET.get("source")
    form = ComplaintForm(
        request.POST or None,
        user=user,
        has_ticket=ticket is not None,
        initial={"source": source if source in ComplaintSource.values else ComplaintSource.CALL},
    )
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.open_complaint(
                user=user, details=form.details(), ticket=ticket, branch=form.cleaned_data.get("branch")
            )
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(
                request,
                _("已登记投诉 %(number)s,处理方案须在 72 小时内提出。") % {"number": complaint.number},
            )
            return redirect(complaint)
    if request.method == "POST":
        messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(request, "surveys/complaint_new.html", {"form": form, "ticket": ticket})


COMPLAINT_DETAIL = Complaint.objects.select_related(
    "branch",
    "ticket",
    "customer",
    "received_by",
    "planned_by",
    "visited_by",
    "answered_by",
    "closed_by",
    "follow_up_call",
)

STEP_FORMS = {"plan": PlanForm, "visit": VisitForm, "answer": AnswerForm}


def _step_form(step: str, complaint: Complaint, data=None):
    if step == "visit":
        return VisitForm(data, branch_id=complaint.branch_id, prefix="visit")
    if step == "plan":
        return PlanForm(
            data,
            prefix="plan",
            initial={
                "plan": complaint.plan,
                "severity": complaint.severity,
                "service_at_fault": complaint.service_at_fault,
            },
        )
    return AnswerForm(data, prefix="answer")


def _complaint_page(request: HttpRequest, complaint: Complaint, bound: dict | None = None) -> HttpResponse:
    user = request.user
    forms = {}
    if complaint.is_open:
        for step in STEP_FORMS:
            if step == "answer" and complaint.state == ComplaintState.RECEIVED:
                continue
            if may_act_on_complaint(step, user, complaint.branch_id):
                forms[step] = (bound or {}).get(step) or _step_form(step, complaint)
    return render(
        request,
        "surveys/complaint_detail.html",
        {
            "complaint": complaint,
            "forms": forms,
            "may_close": complaint.is_open and may_act_on_complaint("close", user, complaint.branch_id),
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = access_complaint(request.user, pk, queryset=COMPLAINT_DETAIL)
    if not may_view_complaints(request.user):
        raise PermissionDenied(_("您没有查看投诉的权限。"))
    return _complaint_page(request, complaint)


@login_required
@require_POST
@idempotent
def complaint_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """plan / visit / answer / close: each a service; a refusal is shown on the page."""
    complaint = access_complaint(request.user, pk, queryset=COMPLAINT_DETAIL)
    if step not in (*STEP_FORMS, "close"):
        raise Http404("No such step")
    if not may_act_on_complaint(step, request.user, complaint.branch_id):
        raise PermissionDenied(_("您没有权限执行此操作。"))
    user = request.user
    version = complaint.version
    try:
        if step == "close":
            services.close_complaint(complaint_id=complaint.pk, user=user, expected_version=version)
            messages.success(request, _("投诉 %(number)s 已关闭。") % {"number": complaint.number})
            return redirect(complaint)
        form = _step_form(step, complaint, request.POST)
        if not form.is_valid():
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
            return _complaint_page(request, complaint, bound={step: form})
        data = form.cleaned_data
        if step == "plan":
            services.record_plan(
                complaint_id=complaint.pk,
                user=user,
                expected_version=version,
                plan=data["plan"],
                severity=data["severity"],
                service_at_fault=data["service_at_fault"],
            )
            messages.success(request, _("已记录处理方案。"))
        elif step == "visit":
            services.record_visit(
                complaint_id=complaint.pk,
                user=user,
                expected_version=version,
                visited_by=data["visited_by"],
                visited_at=data["visited_at"],
                notes=data["notes"],
            )
            messages.success(request, _("已记录走访。"))
        else:
            services.record_answer(
                complaint_id=complaint.pk,
                user=user,
                expected_version=version,
                channel=data["answer_channel"],
                text=data["answer_text"],
            )
            messages.success(request, _("已记录对客户的答复。"))
    except Conflict as exc:
        messages.error(request, str(exc))
    except UserError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        messages.error(request, str(exc))
        return _complaint_page(request, complaint, bound={step: form})
    return redirect(complaint)
