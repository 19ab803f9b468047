from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.calendars import confirmed_years
from accounts.idempotency import idempotent
from accounts.models import Branch, Role, User
from aftersales.categories import FaultCategory, ServiceZone
from aftersales.errors import Conflict, UserError
from aftersales.links import pk_url
from aftersales.texts import list_text
from aftersales.workcalendar import unconfirmed_note
from customers.forms import NewCustomerForm, NewUnitForm
from customers.selectors import find_customers
from tickets import answers, sla_services
from tickets.access import access_ticket
from tickets.dispatch_rules import describe
from tickets.forms import (
    AppointmentForm,
    ApproveReturnForm,
    BulkActionForm,
    CallForm,
    DepartForm,
    FinishRepairForm,
    HandOverForm,
    ReviseFaultForm,
    TicketFilterForm,
    TimelineDropForm,
    TransitionForm,
    offer_fault_codes,
)
from tickets.models import (
    OPEN_STATES,
    TRANSITION_LABELS,
    Channel,
    ClockPause,
    Priority,
    RepairTicket,
    SavedTicketFilter,
    State,
)
from tickets.permissions import may_revise_verdict, may_write_report
from tickets.report_services import SIGNATURE_STEP, current_report_status
from tickets.return_services import RETURN_PATHS, entry_for_page
from tickets.selectors import (
    SORTS,
    board_technicians,
    clean_sort,
    dispatch_suggestions,
    drill_down_labels,
    fault_media,
    filtered_tickets,
    offered_fault_codes,
    open_tickets_of_unit,
    sort_tickets,
    ticket_rows,
    timeline_board,
    unit_tickets_for_intake,
    with_maintenance_visit,
    with_people,
)
from tickets.services import (
    NEEDS_REASON,
    NEEDS_WORK_SUMMARY,
    CallDetails,
    apply_transition,
    available_transitions,
    bulk_transition,
    depart,
    dispatch_into_window,
    dispatchable_technicians,
    may_set_appointment,
    revise_fault,
    set_appointment,
    take_call,
)
from tickets.templatetags.ticket_tags import technician_options, window

PAGE_SIZE = 25
BULK_EDITORS = (Role.DISPATCHER, Role.SUPERVISOR)


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows: a COUNT over a branch's whole history grows with it, and past
    ten thousand a dispatcher narrows the list with the filters rather than paging (docs/performance.md)."""

    COUNT_CAP = 10_000
    open_ended = False

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.COUNT_CAP


class SearchPaginator(Paginator):
    """A search's pages. `object_list` is the matching tickets' ids in the list's order; `rows` turns a
    page of them into the list's rows.

    It does not count: it reads the page's ids and one more, and knows from that id whether there is a
    next page. A count in the list's order walks as far as its cap, which for a rare term (the end of a
    ticket number: a match every ~170 rows) cost more than the page itself. The page's ids are chosen
    before the rows are joined to customers, units and technicians, so a term found through its index
    sorts its matches' ids rather than their joined rows. One query: the ids are its subquery. The last
    page knows the exact total; the others say there are more (docs/performance.md)."""

    open_ended = False  # more matches after this page: the total is not known
    is_capped = False
    MAX_OFFSET = CappedCountPaginator.COUNT_CAP  # as deep as the unfiltered list pages

    def __init__(self, object_list, per_page, *, rows):
        super().__init__(object_list, per_page)
        self.rows = rows

    def get_page(self, number) -> Page:
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        if (number - 1) * self.per_page > self.MAX_OFFSET:
            number = 1
        rows = self._rows(number)
        if not rows and number > 1:  # a link past the last page (matches went away): the first page
            number, rows = 1, self._rows(1)
        self.open_ended = len(rows) > self.per_page
        # What Paginator derives the page's numbers from (num_pages, has_next, end_index).
        self.count = (number - 1) * self.per_page + len(rows)
        return self._get_page(rows[: self.per_page], number, self)

    def _rows(self, number: int) -> list:
        bottom = (number - 1) * self.per_page
        return list(self.rows(self.object_list[bottom : bottom + self.per_page + 1]))


# Transitions that are not the workflow's next step: the ticket page lists them below its action bar.
SECONDARY_ACTIONS = frozenset(
    {"request_return", "reject_return", "cancel", "reopen", "undo_accept", "undo_cancel"}
)
# Return-to-factory steps have their own forms (goods register, receipt, signature): the bar links to them.
FORM_ACTIONS = frozenset({"approve_return", "finish_factory_repair", "hand_over"})
# One-way actions ask before they are sent (static/js/app.js reads data-confirm).
CONFIRMATIONS = {
    "complete_visit": gettext_lazy("确定完成上门服务?已签字的服务报告将不能修改。"),
    "approve_return": gettext_lazy("确定批准返厂?将登记商品入库并开具领取收据。"),
    "reject_return": gettext_lazy("确定驳回返厂申请?"),
    "finish_factory_repair": gettext_lazy("确定返厂维修已完成?将立即通知客户取件。"),
    "hand_over": gettext_lazy("确定客户已签字领取?领取收据将作废。"),
    "accept": gettext_lazy("确定验收?验收后将安排回访并向客户发送满意度调查。当天内可由服务主任撤销。"),
    "cancel": gettext_lazy("确定取消该工单?此操作会记录在案,当天内可由服务主任撤销。"),
    "reopen": gettext_lazy("确定重新报修?将计为一次返修。"),
    "undo_accept": gettext_lazy("确定撤销验收?已安排的回访将取消,工单回到待验收。"),
    "undo_cancel": gettext_lazy("确定撤销取消?工单回到取消前的状态,期限继续计时。"),
}

# The most urgent unassigned tickets, as many as a page of the ticket list; the rest are one click away
# in the list. Fifty cards made a 184 KB page, two screens of cards nobody reads before the first
# dispatch reorders them, and a fifth of the board's time (docs/performance.md, twelfth round).
BOARD_SIZE = 25


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_technician_only:
        return redirect("tickets:my_jobs")
    visible = RepairTicket.objects.visible_to(user)
    now = timezone.now()
    counts = {
        "unassigned": visible.filter(state=State.REPORTED).count(),
        "open": visible.open().count(),
        "overdue": visible.open().filter(due_at__lt=now).count(),
        "awaiting_approval": visible.filter(state=State.RMA_REQUESTED).count(),
        "awaiting_acceptance": visible.filter(state=State.AWAITING_ACCEPTANCE).count(),
        "awaiting_follow_up": visible.filter(state=State.ACCEPTED).count(),
    }
    return render(request, "tickets/home.html", {"counts": counts})


def _int_param(request: HttpRequest, *names: str) -> int | None:
    for name in names:
        raw = request.GET.get(name, "")
        if raw.isdigit() and len(raw) < 10:
            return int(raw)
    return None


@login_required
@require_GET
def fault_code_options(request: HttpRequest) -> HttpResponse:
    """Search as you type for a fault code (intake, the report's 查 step): the `<option>`s of the
    field's datalist for the product model's library, matching the typed code or symptom."""
    product_model_id = _int_param(request, "product_model", "unit-product_model")
    codes = offered_fault_codes(product_model_id, request.GET.get("fault_code", ""))
    return render(request, "tickets/_fault_code_options.html", {"fault_codes": codes})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def intake(request: HttpRequest) -> HttpResponse:
    """叫修登记: find or create the customer and unit, log the call, show the verdict."""
    user = request.user
    if not user.has_role(Role.DISPATCHER):
        raise PermissionDenied(_("只有客服/调度可以登记报修。"))
    data = request.POST if request.method == "POST" else None
    call_form = CallForm(
        data, user=user, initial={"unit": request.GET.get("unit"), "customer": request.GET.get("customer")}
    )
    selected_unit = selected_customer = None
    if call_form.is_bound:
        call_form.is_valid()
        selected_unit = call_form.cleaned_data.get("unit")
        selected_customer = call_form.cleaned_data.get("customer")
    else:
        selected_unit = _initial_choice(call_form, "unit")
        selected_customer = _initial_choice(call_form, "customer")
    if selected_unit:
        selected_customer = selected_unit.owner
        call_form.initial.setdefault("fault_category", selected_unit.product_model.category)
    offer_fault_codes(
        call_form.fields["fault_code"], selected_unit.product_model_id if selected_unit else None
    )
    customer_form = NewCustomerForm(data if not selected_customer else None, prefix="customer")
    unit_form = NewUnitForm(data if not selected_unit else None, prefix="unit")
    # The same unit with a ticket still open is most often the same call again: log it only when the
    # dispatcher chooses to (a button on the warning), never silently.
    open_tickets = open_tickets_of_unit(selected_unit) if selected_unit else []
    duplicate_unconfirmed = bool(open_tickets) and request.POST.get("log_anyway") != "1"
    if request.method == "POST":
        forms_ok = call_form.is_valid()
        if not selected_customer:
            forms_ok = customer_form.is_valid() and forms_ok
        if not selected_unit:
            forms_ok = unit_form.is_valid() and forms_ok
        if forms_ok and duplicate_unconfirmed:
            messages.warning(request, _("该产品已有未完结的工单,请先确认是否为同一次报修。"))
        elif forms_ok:
            cleaned = call_form.cleaned_data
            details = CallDetails(
                fault_category=cleaned["fault_category"],
                fault_description=cleaned["fault_description"],
                fault_cause=cleaned["fault_cause"],
                fault_code=cleaned["fault_code"],
                conditions=frozenset(cleaned["conditions"]),
                channel=cleaned["channel"],
                priority=cleaned["priority"],
                appointment=cleaned["appointment"],
            )
            try:
                ticket = take_call(
                    user=user,
                    details=details,
                    unit=selected_unit,
                    customer=selected_customer,
                    new_customer=None if selected_customer else customer_form.cleaned_data,
                    new_unit=None if selected_unit else unit_form.cleaned_data,
                )
            except Conflict as exc:
                messages.error(request, str(exc))
            except UserError as exc:
                call_form.add_error(exc.field, str(exc))
                messages.error(request, _("请按提示修改标红的项目后再提交。"))
            else:
                messages.success(
                    request, _("已登记报修,工单号 %(number)s。下一步:派工。") % {"number": ticket.number}
                )
                return redirect(ticket)
        else:
            messages.error(request, _("请按提示修改标红的项目后再提交。"))
    return render(
        request,
        "tickets/intake.html",
        {
            "call_form": call_form,
            "customer_form": customer_form,
            "unit_form": unit_form,
            "selected_unit": selected_unit,
            "selected_customer": selected_customer,
            "open_tickets": open_tickets,
            "fault_codes": offered_fault_codes(selected_unit.product_model_id) if selected_unit else [],
            "search_customers": find_customers(user, request.GET["q"]) if request.GET.get("q") else None,
            **(unit_tickets_for_intake(user, selected_unit) if selected_unit else {}),
        },
    )


def _initial_choice(form, name: str):
    raw = form.initial.get(name)
    if not raw:
        return None
    try:
        return form.fields[name].queryset.get(pk=int(raw))
    except (ValueError, form.fields[name].queryset.model.DoesNotExist):
        return None


def _list_query(request: HttpRequest, form: TicketFilterForm) -> QueryDict:
    """The list's own parameters from the request (filters and sort, not the page): what a saved filter
    keeps and what the sort links and the export carry on."""
    kept = QueryDict(mutable=True)
    for key in [*form.fields, "sort"]:
        for value in request.GET.getlist(key):
            if value:
                kept.appendlist(key, value)
    return kept


def may_bulk_edit(user) -> bool:
    return user.has_role(*BULK_EDITORS)


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = TicketFilterForm(request.GET or None, user=user)
    sort = clean_sort(request.GET.get("sort", ""))
    tickets = sort_tickets(filtered_tickets(user, form), sort)
    searching = form.is_valid() and bool(form.cleaned_data["q"].strip())
    if searching:
        paginator = SearchPaginator(tickets.values("pk"), PAGE_SIZE, rows=lambda ids: ticket_rows(ids, sort))
    else:
        paginator = CappedCountPaginator(tickets.list_rows_only(), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = _list_query(request, form)
    sort_headers = {}
    for key in SORTS:
        toggled = query.copy()
        toggled["sort"] = f"-{key}" if sort == key else key
        direction = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        sort_headers[key] = {"key": key, "link": toggled.urlencode(), "direction": direction}
    may_bulk = may_bulk_edit(user)
    bulk_form = None
    if may_bulk:
        bulk_form = BulkActionForm(technicians=form.fields["technician"].queryset)
        form.fields["technician"].share_rows(bulk_form.fields["technician"])  # one technician query, not two
    context = {
        "form": form,
        "page": page,
        "searching": searching,
        "query": query.urlencode(),
        "now": timezone.now(),
        "sort": sort,
        "sort_headers": sort_headers,
        "saved_filters": list(user.ticket_filters.all()),
        "bulk_form": bulk_form,
        "drill_down": " · ".join(drill_down_labels(form.cleaned_data)) if form.is_valid() else "",
        # A long list is exported by a worker (reports.export_jobs, its page shows the progress); a short
        # one streams at once, as before.
        "export_in_background": paginator.open_ended or paginator.count > settings.EXPORT_DIRECT_MAX_ROWS,
    }
    template = "tickets/ticket_list.html#results" if request.htmx else "tickets/ticket_list.html"
    return render(request, template, context)


def _back_to_list(query: str) -> HttpResponse:
    # Only the list's own parameters come back (QueryDict round trip): never a URL from the form.
    return redirect(f"{reverse('tickets:list')}?{QueryDict(query).urlencode()}")


@login_required
@require_POST
@idempotent
def save_filter(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    query = request.POST.get("query", "")
    max_name = SavedTicketFilter._meta.get_field("name").max_length
    if not name or len(name) > max_name:
        messages.error(request, _("筛选名称必填,最多 %(n)d 个字。") % {"n": max_name})
    elif len(query) > SavedTicketFilter._meta.get_field("query").max_length:
        messages.error(request, _("筛选条件太长,不能保存。"))
    else:
        SavedTicketFilter.objects.update_or_create(
            user=request.user, name=name, defaults={"query": QueryDict(query).urlencode()}
        )
        messages.success(request, _("已保存筛选“%(name)s”。") % {"name": name})
    return _back_to_list(query)


@login_required
@require_POST
@idempotent
def delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    deleted, _rows = SavedTicketFilter.objects.filter(user=request.user, pk=pk).delete()
    if deleted:
        messages.success(request, _("已删除该筛选。"))
    return redirect("tickets:list")


@login_required
@require_POST
@idempotent
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Bulk dispatch or cancel from the ticket list, each ticket on its own (services.bulk_transition)."""
    user = request.user
    if not may_bulk_edit(user):
        raise PermissionDenied(_("只有客服/调度和服务主任可以批量派工或取消。"))
    form = BulkActionForm(request.POST, technicians=TicketFilterForm(user=user).fields["technician"].queryset)
    query = request.POST.get("query", "")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return _back_to_list(query)
    action = form.cleaned_data["action"]
    try:
        outcome = bulk_transition(
            user=user,
            name=action,
            versions=form.cleaned_data["versions"],
            technician=form.cleaned_data["technician"],
            note=form.cleaned_data["note"],
        )
    except UserError as exc:
        messages.error(request, str(exc))
        return _back_to_list(query)
    label = TRANSITION_LABELS[action]
    if outcome.done:
        messages.success(
            request,
            _("“%(action)s”已完成 %(n)d 张:%(numbers)s")
            % {
                "action": label,
                "n": len(outcome.done),
                "numbers": list_text(outcome.done),
            },
        )
    for number, reason in outcome.refused:
        messages.error(request, _("%(number)s 未处理:%(reason)s") % {"number": number, "reason": reason})
    return _back_to_list(query)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = with_people(
        with_maintenance_visit(access_ticket(request.user, pk, queryset=RepairTicket.objects.for_detail()))
    )
    now = timezone.now()
    available = available_transitions(ticket, request.user)
    # `follow_up` is pressed on the follow-up call's page, where the survey is recorded (surveys app).
    names = [name for name in available if name != "follow_up"]
    actions = [
        {
            "name": name,
            "label": TRANSITION_LABELS[name],
            "needs_reason": name in NEEDS_REASON,
            "needs_work_summary": name in NEEDS_WORK_SUMMARY,
            "needs_technician": name == "dispatch",
            "has_own_form": name in FORM_ACTIONS,
            "confirm": CONFIRMATIONS.get(name, ""),
        }
        for name in names
    ]
    technicians = dispatchable_technicians(ticket) if "dispatch" in names else []
    revise_form = None
    if may_revise_verdict(ticket, request.user):
        revise_form = ReviseFaultForm(
            policy_conditions=ticket.unit.product_model.warranty_policy.to_terms().exclusions,
            initial={
                "version": ticket.version,
                "fault_cause": ticket.fault_cause,
                "conditions": ticket.conditions,
            },
        )
    service_report = current_report_status(ticket) if ticket.visit_count else None
    goods_entry = entry_for_page(ticket)
    finish_form = (
        FinishRepairForm(branch_id=ticket.branch_id, initial={"version": ticket.version})
        if "finish_factory_repair" in names
        else None
    )
    fault_photos, fault_video = fault_media(ticket)
    return render(
        request,
        "tickets/ticket_detail.html",
        {
            "ticket": ticket,
            "time_on_site": ticket.finished_visit_time(),
            "fault_photos": fault_photos,
            "fault_video": fault_video,
            "report": service_report,
            "goods_entry": goods_entry,
            "finish_form": finish_form,
            "approve_form": ApproveReturnForm() if "approve_return" in names else None,
            "hand_over_form": HandOverForm() if "hand_over" in names else None,
            "may_write_report": may_write_report(ticket, request.user),
            "write_report_next": may_write_report(ticket, request.user)
            and not (service_report and service_report.is_signed),
            "follow_up_next": "follow_up" in available,
            "next_actions": [action for action in actions if action["name"] not in SECONDARY_ACTIONS],
            "other_actions": [action for action in actions if action["name"] in SECONDARY_ACTIONS],
            "technicians": technicians,
            "revise_form": revise_form,
            "now": now,
            "deadlines": deadline_rows(ticket, now),
            "may_pause": sla_services.may_pause(ticket, request.user),
            "appointment_form": _appointment_form(ticket)
            if may_set_appointment(ticket, request.user)
            else None,
            "pause_reasons": ClockPause.Reason.choices,
        },
    )


def _appointment_form(ticket: RepairTicket) -> AppointmentForm:
    initial = {"version": ticket.version}
    if ticket.appointment is not None:
        start, end = (timezone.localtime(moment) for moment in ticket.appointment)
        initial |= {
            "appointment_date": start.date(),
            "appointment_start": start.time(),
            "appointment_end": end.time(),
        }
    return AppointmentForm(initial=initial)


def deadline_rows(ticket: RepairTicket, now: datetime.datetime) -> list[dict]:
    """The ticket's milestones for its page, with a note when a deadline rests on an unknown calendar.
    `overdue`: passed and not met while the ticket is open and its clock runs (as the header's countdown)."""
    running = ticket.state in OPEN_STATES and not ticket.clock_paused
    rows = []
    for deadline in sorted(ticket.deadlines.all(), key=lambda d: d.due_at):
        note = ""
        if not deadline.calendar_confirmed:
            first, last = (
                timezone.localtime(deadline.started_at).year,
                timezone.localtime(deadline.due_at).year,
            )
            known = confirmed_years()
            note = unconfirmed_note(year for year in range(first, last + 1) if year not in known)
        overdue = running and deadline.met_at is None and deadline.due_at < now
        rows.append({"deadline": deadline, "calendar_note": note, "overdue": overdue})
    return rows


@login_required
@require_POST
@idempotent
def ticket_revise_fault(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(
        request.user, pk, queryset=RepairTicket.objects.select_related("unit__product_model__warranty_policy")
    )
    form = ReviseFaultForm(
        request.POST, policy_conditions=ticket.unit.product_model.warranty_policy.to_terms().exclusions
    )
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(ticket)
    try:
        ticket = revise_fault(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            fault_cause=form.cleaned_data["fault_cause"],
            conditions=frozenset(form.cleaned_data["conditions"]),
            note=form.cleaned_data["note"],
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已修改故障原因并重新判定保修,原判定保留在处理记录中。"))
    return redirect(ticket)


@login_required
@require_POST
@idempotent
def ticket_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    next_url = {"board": reverse("tickets:dispatch_board"), "my_jobs": reverse("tickets:my_jobs")}.get(
        request.POST.get("next", ""), ticket.get_absolute_url()
    )
    if name in RETURN_PATHS:
        # These write the goods register, receipt and repair tag too: only through their own forms.
        return answers.refused(
            request, _("请使用工单页面上的返厂表单办理此操作。"), ticket.get_absolute_url()
        )
    form = TransitionForm(request.POST, technicians=dispatchable_technicians(ticket))
    if not form.is_valid():
        return answers.refused(request, _("提交的内容无效,请刷新页面后重试。"), ticket.get_absolute_url())
    try:
        ticket = apply_transition(
            ticket_id=ticket.pk,
            user=request.user,
            name=name,
            expected_version=form.cleaned_data["version"],
            technician=form.cleaned_data["technician"],
            helpers=form.cleaned_data["helpers"],
            note=form.cleaned_data["note"],
        )
    except Conflict as exc:
        return answers.ticket_moved_on(request, ticket, str(exc), next_url)
    except UserError as exc:
        return answers.refused(request, str(exc), next_url)
    facts = {
        "action": TRANSITION_LABELS.get(name, name),
        "number": ticket.number,
        "state": ticket.get_state_display(),
    }
    if name == "dispatch":
        # Named, who leads and who helps, so that a tap on the wrong technician is seen at once.
        facts["lead"] = str(ticket.technician)
        helpers = [str(helper) for helper in ticket.helpers.all()]
        if helpers:
            message = _(
                "“%(action)s”已完成,工单 %(number)s 当前状态:%(state)s,技术员:%(lead)s,协助技术员:%(helpers)s。"
            ) % {**facts, "helpers": list_text(helpers)}
        else:
            message = _("“%(action)s”已完成,工单 %(number)s 当前状态:%(state)s,技术员:%(lead)s。") % facts
    else:
        message = _("“%(action)s”已完成,工单 %(number)s 当前状态:%(state)s。") % facts
    return answers.done(request, message, next_url, written=answers.versions(ticket, bumped_ticket=True))


@login_required
@require_POST
@idempotent
def ticket_depart(request: HttpRequest, pk: int) -> HttpResponse:
    """出发: texts the customer the expected arrival time; the job shows 在途 until check-in."""
    ticket = access_ticket(request.user, pk)
    to = reverse("tickets:my_jobs")
    form = DepartForm(request.POST)
    if not form.is_valid():
        return answers.refused(request, next(iter(form.errors.values()))[0], to)
    try:
        ticket = depart(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            eta_minutes=form.cleaned_data["eta_minutes"],
        )
    except Conflict as exc:
        return answers.ticket_moved_on(request, ticket, str(exc), to)
    except UserError as exc:
        return answers.refused(request, str(exc), to)
    return answers.done(
        request,
        _("已出发,已短信通知客户预计到达时间。到达后请点“到达签到”。"),
        to,
        written=answers.versions(ticket, bumped_ticket=True),
    )


@login_required
@require_POST
@idempotent
def ticket_appointment(request: HttpRequest, pk: int) -> HttpResponse:
    """预约时间段: agree, move or clear the visit's window; the history records who asked and why."""
    ticket = access_ticket(request.user, pk)
    form = AppointmentForm(request.POST)
    if not form.is_valid():
        return answers.refused(request, next(iter(form.errors.values()))[0], ticket.get_absolute_url())
    try:
        ticket = set_appointment(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            window=form.cleaned_data["appointment"],
            requested_by=form.cleaned_data["requested_by"],
            reason=form.cleaned_data["reason"],
        )
    except Conflict as exc:
        return answers.ticket_moved_on(request, ticket, str(exc), ticket.get_absolute_url())
    except UserError as exc:
        return answers.refused(request, str(exc), ticket.get_absolute_url())
    if ticket.appointment is None:
        done = _("已取消预约时间,到达期限恢复按时限规则计算。")
    else:
        done = _("预约时间已定为 %(window)s,到达期限以此为准。") % {"window": window(*ticket.appointment)}
    return answers.done(
        request, done, ticket.get_absolute_url(), written=answers.versions(ticket, bumped_ticket=True)
    )


@login_required
@require_GET
def dispatch_board(request: HttpRequest) -> HttpResponse:
    user = request.user
    _may_dispatch(user)
    # Urgent calls first; then the calls customers reported themselves (issue #17: nobody at the desk has
    # spoken to them yet, so they are confirmed first); then (§7-十八) calls left undispatched at the end
    # of a day go first in the next day's queue; each part by deadline (one query each on the
    # unassigned-by-deadline index).
    board = RepairTicket.objects.visible_to(user).for_board()
    start_of_today = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    normal = board.exclude(priority=Priority.URGENT)
    by_desk = normal.exclude(channel=Channel.SELF)
    parts = (
        board.filter(priority=Priority.URGENT),
        normal.filter(channel=Channel.SELF),
        by_desk.filter(reported_at__lt=start_of_today),
        by_desk.filter(reported_at__gte=start_of_today),
    )
    waiting: list[RepairTicket] = []
    for part in parts:
        if len(waiting) > BOARD_SIZE:
            break
        waiting += list(part[: BOARD_SIZE + 1 - len(waiting)])
    carried_over = {ticket.pk for ticket in waiting if ticket.reported_at < start_of_today}
    more_waiting = len(waiting) > BOARD_SIZE
    waiting = waiting[:BOARD_SIZE]
    technicians = User.objects.filter(is_active=True, groups__name=Role.TECHNICIAN)
    if not user.sees_all_branches:
        technicians = technicians.filter(branch_id=user.branch_id)
    loads, jobs = board_technicians(technicians, viewer=user)
    by_branch: dict[int, list[User]] = defaultdict(list)
    for technician in loads:
        by_branch[technician.branch_id].append(technician)
    # The technician <select> is the same for every ticket of a branch: written once per branch.
    options = {branch_id: technician_options(technicians) for branch_id, technicians in by_branch.items()}
    now = timezone.now()
    suggestions = dispatch_suggestions(waiting, loads, now, jobs=jobs)
    # Twenty-five cards, each with a dozen labels and up to three suggestions of five reasons: every label is put
    # into words once per request (get_FOO_display rebuilds and hashes the lazy choices on each call).
    priorities = {value: str(label) for value, label in Priority.choices}
    zones = {value: str(label) for value, label in ServiceZone.choices}
    categories = {value: str(label) for value, label in FaultCategory.choices}
    reason_texts: dict = {}
    accept_labels = {
        technician_name: _("派给%(name)s") % {"name": technician_name}
        for technician_name in {str(technician) for technician in loads}
    }
    ticket_url, dispatch_url = pk_url("tickets:detail"), pk_url("tickets:transition", "dispatch")
    rows = [
        {
            "ticket": ticket,
            "url": ticket_url(ticket.pk),
            "dispatch_url": dispatch_url(ticket.pk),
            "priority": priorities.get(ticket.priority, ticket.priority),
            "zone": zones.get(ticket.customer.service_zone, ticket.customer.service_zone),
            "category": categories.get(ticket.fault_category, ticket.fault_category),
            "carried_over": ticket.pk in carried_over,
            "technician_options": options.get(ticket.branch_id),
            "suggestions": [
                (suggestion, describe(suggestion.reasons, reason_texts), accept_labels[suggestion.name])
                for suggestion in suggestions.get(ticket.pk, ())
            ],
        }
        for ticket in waiting
    ]
    return render(
        request,
        "tickets/dispatch_board.html",
        {
            "rows": rows,
            "loads": loads,
            "more_waiting": more_waiting,
            "board_size": BOARD_SIZE,
            "now": now,
            "self_reported": board.filter(channel=Channel.SELF).count(),
        },
    )


def _may_dispatch(user: User) -> None:
    if not user.has_role(Role.DISPATCHER, Role.SUPERVISOR):
        raise PermissionDenied(_("只有客服/调度和服务主任可以派工。"))


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """The timeline board: technicians as rows, today's and tomorrow's hours as columns, visits in their
    windows, waiting tickets beside; drop one on a technician's hour (static/js/timeline.js) to dispatch."""
    user = request.user
    _may_dispatch(user)
    # Headquarters plans any branch (one at a time); everyone else their own.
    if user.sees_all_branches:
        branches = list(Branch.objects.filter(is_active=True).exclude(kind=Branch.Kind.HEADQUARTERS))
    else:
        branches = [user.branch] if user.branch_id else []
    chosen = request.GET.get("branch", "")
    branch = next((b for b in branches if str(b.pk) == chosen), branches[0] if branches else None)
    technicians = list(
        User.objects.filter(is_active=True, groups__name=Role.TECHNICIAN, branch=branch)
        .select_related("technician_profile")
        .order_by("last_name", "first_name", "pk")
    )
    waiting = (
        RepairTicket.objects.visible_to(user)
        .for_board()
        .filter(branch=branch)
        .order_by("appointment_start", "due_at", "pk")
    )
    now = timezone.now()
    return render(
        request,
        "tickets/timeline.html",
        {**timeline_board(technicians, waiting, now), "branches": branches, "branch": branch, "now": now},
    )


@login_required
@require_POST
@idempotent
def timeline_drop(request: HttpRequest, pk: int) -> HttpResponse:
    """A ticket dropped on a technician's hour: dispatched and booked there, or refused with why."""
    ticket = access_ticket(request.user, pk)
    _may_dispatch(request.user)
    back = f"{reverse('tickets:timeline')}?branch={ticket.branch_id}"
    form = TimelineDropForm(request.POST, technicians=dispatchable_technicians(ticket))
    if not form.is_valid():
        return answers.refused(request, next(iter(form.errors.values()))[0], back)
    try:
        ticket = dispatch_into_window(
            ticket_id=ticket.pk,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            technician=form.cleaned_data["technician"],
            helpers=form.cleaned_data["helpers"],
            start=form.start,
        )
    except Conflict as exc:
        return answers.ticket_moved_on(request, ticket, str(exc), back)
    except UserError as exc:
        return answers.refused(request, str(exc), back)
    return answers.done(
        request,
        _("已派工:工单 %(number)s 交给 %(technician)s,预约 %(window)s。")
        % {"number": ticket.number, "technician": ticket.technician, "window": window(*ticket.appointment)},
        back,
        written=answers.versions(ticket, bumped_ticket=True),
    )


@login_required
@require_GET
def my_jobs(request: HttpRequest) -> HttpResponse:
    jobs = list(RepairTicket.objects.for_technician(request.user))
    # Each card links five pages and its depart form offers the same times: reversed and written once a
    # page here, not a {% url %} a link and a loop a card in the template (issue #19).
    page_url, report_url = pk_url("tickets:detail"), pk_url("tickets:report")
    depart_url, check_in_url = pk_url("tickets:depart"), pk_url("tickets:transition", "check_in")
    for job in jobs:
        job.page_url, job.report_url = page_url(job.pk), report_url(job.pk)
        job.depart_url, job.check_in_url = depart_url(job.pk), check_in_url(job.pk)
        # The pages kept offline for the card: the job and each step of its service report.
        job.offline_urls = " ".join(
            [job.page_url, *(f"{job.report_url}?step={step}" for step in range(1, SIGNATURE_STEP + 1))]
        )
    depart_form = DepartForm()
    eta = depart_form.fields["eta_minutes"]
    eta_options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == eta.initial else "", label)
            for value, label in eta.choices
        ),
    )
    return render(
        request,
        "tickets/my_jobs.html",
        {"jobs": jobs, "now": timezone.now(), "depart_form": depart_form, "eta_options": eta_options},
    )
