"""The customer's channel (H5, phone first): sign-in by code or texted link, their tickets."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.defaults import page_not_found

from accounts.calendars import calendar_for_branch
from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text
from aftersales.uploads import file_response, video_response
from customers.services import EDITORS
from notifications.channels import wechat_backend
from portal import labels, registrations, selectors, services
from portal.forms import (
    CancelForm,
    CodeForm,
    ComplaintForm,
    ConfirmRegistrationForm,
    FaultReportForm,
    LabelsForm,
    PhoneForm,
    RegistrationForm,
    RejectRegistrationForm,
    RescheduleForm,
    window_label,
)
from portal.models import ProductRegistration
from portal.session import (
    customer_access,
    customer_required,
    keep_wechat_openid,
    private,
    start_customer_session,
    wechat_openid,
)
from portal.windows import visit_windows
from surveys.forms import SurveyForm
from surveys.services import answer_in_channel, raise_in_channel
from tickets.access import access_ticket
from tickets.choices import AppointmentRequester
from tickets.documents import pdf_response, service_voucher_pdf
from tickets.models import FaultPhoto, FaultVideo, ServiceReport
from tickets.permissions import customer_may_change_visit
from tickets.selectors import fault_media
from tickets.services import (
    CallDetails,
    DuplicateCall,
    apply_transition,
    customer_refused_message,
    log_self_reported_call,
    set_appointment,
)

PENDING_KEY = "portal.pending"
logger = logging.getLogger(__name__)


def _render(request: HttpRequest, template: str, context: dict | None = None, status: int = 200):
    context = {"company_name": settings.COMPANY_NAME, **(context or {})}
    return private(render(request, f"portal/{template}", context, status=status))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (handler404). In the customer's pages it is the channel's page, leading back to their
    tickets: the staff one spoke of 网点范围 and its 返回首页 led to the staff sign-in."""
    if request.path.startswith("/p/") and not request.path.startswith("/p/staff/"):
        return _render(request, "not_found.html", status=404)
    return page_not_found(request, exception)


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    """Only a page of the channel itself: never another site, never a staff page."""
    if (
        candidate
        and candidate.startswith("/p/")
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return candidate
    return "/p/"


def _status(exc: UserError) -> int:
    return 429 if isinstance(exc, services.TooManyRequests) else 200


@never_cache
@require_http_methods(["GET", "POST"])
@idempotent
def sign_in(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            phone = services.mobile_number(form.cleaned_data["phone"])
            services.request_code(phone=phone, ip_address=get_client_ip_address(request))
        except UserError as exc:
            form.add_error("phone", exc.message)
            status = _status(exc)
        else:
            request.session[PENDING_KEY] = {
                "phone": phone,
                "next": _next_url(request, request.POST.get("next")),
            }
            return private(redirect("portal:code"))
    return _render(
        request, "sign_in.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enter_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not pending.get("phone"):
        return private(redirect("portal:sign_in"))
    phone = pending["phone"]
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_code(phone=phone, code=form.cleaned_data["code"])
        except UserError as exc:
            form.add_error("code", exc.message)
            status = _status(exc)
        else:
            start_customer_session(request, phone=phone)
            _record_wechat_openid(request)
            return private(redirect(_next_url(request, pending.get("next"))))
    masked = f"{phone[:3]}****{phone[-4:]}"
    return _render(request, "code.html", {"form": form, "masked_phone": masked}, status=status)


def _record_wechat_openid(request: HttpRequest) -> None:
    access = customer_access(request)
    if access is not None:
        services.record_wechat_openid(customer_ids=access.customer_ids, openid=wechat_openid(request))


@never_cache
@require_GET
def wechat_entry(request: HttpRequest) -> HttpResponse:
    """Where the Official Account's menu leads, through WeChat's web authorisation (README): the `code`
    WeChat adds gives the follower's openid, kept with the visit and recorded on the customer once signed
    in, so that their messages also reach their WeChat. Without the channel on, or with a code WeChat
    refuses, the customer simply goes on into the channel."""
    backend = wechat_backend()
    code = request.GET.get("code", "")[:128]
    if backend is not None and code:
        try:
            openid = backend.openid_for_code(code)
        except Exception:  # WeChat unreachable or the code refused: the channel still opens
            logger.warning("WeChat refused the menu's authorisation code", exc_info=True)
        else:
            keep_wechat_openid(request, openid)
            _record_wechat_openid(request)
    return private(redirect(_next_url(request, request.GET.get("next"))))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:  # never ends a staff login from here
        request.session.flush()
    return private(redirect("portal:sign_in"))


@require_GET
@customer_required
def home(request: HttpRequest) -> HttpResponse:
    access = request.customer
    return _render(
        request,
        "home.html",
        {
            "tickets": list(selectors.customer_tickets(access)[:50]),
            "units": list(selectors.customer_units(access)),
            "whole_account": access.whole_account,
        },
    )


@require_GET
@customer_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.access_customer_ticket(request.customer, pk)
    return _ticket_page(request, ticket)


def _ticket_page(request: HttpRequest, ticket, survey_form: SurveyForm | None = None) -> HttpResponse:
    """The ticket's page; `survey_form` is a refused answer to show again with its errors."""
    survey = selectors.ticket_survey(ticket)
    photos, video = fault_media(ticket)
    if survey_form is None and survey is not None and survey.answered_at is None:
        survey_form = SurveyForm()
    return _render(
        request,
        "ticket.html",
        {
            "ticket": ticket,
            "photos": photos,
            "video": video,
            "steps": selectors.customer_progress(ticket, survey),
            "reports": selectors.signed_reports(ticket),
            "survey_form": survey_form,
            "whole_account": request.customer.whole_account,
            "may_change_visit": customer_may_change_visit(ticket),
            "complaints": selectors.channel_complaints(ticket),
        },
    )


def _visit_refused(request: HttpRequest, ticket) -> HttpResponse | None:
    """Once a technician is sent, moving or cancelling the visit is the desk's: back to the ticket's page
    with why."""
    if customer_may_change_visit(ticket):
        return None
    messages.error(request, customer_refused_message(ticket))
    return private(redirect("portal:ticket", pk=ticket.pk))


@require_http_methods(["GET", "POST"])
@customer_required
@idempotent
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """改约: another window for the visit, before dispatch (the history row says the customer asked)."""
    ticket = selectors.access_customer_ticket(request.customer, pk)
    refused = _visit_refused(request, ticket)
    if refused:
        return refused
    windows = visit_windows(calendar_for_branch(ticket.branch), timezone.now())
    form = RescheduleForm(request.POST if request.method == "POST" else None, windows=windows)
    if request.method == "POST" and form.is_valid():
        window = form.cleaned_data["window"]
        try:
            set_appointment(
                ticket_id=ticket.pk,
                user=None,
                expected_version=None,
                window=(window.start, window.end),
                requested_by=AppointmentRequester.CUSTOMER,
                reason=form.cleaned_data["reason"] or Text(gettext_noop("客户在自助服务中改约。")),
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return private(redirect("portal:ticket", pk=ticket.pk))
        except UserError as exc:
            form.add_error("window" if exc.field != "reason" else "reason", exc.message)
        else:
            messages.success(request, _("上门时间已改为 %(window)s。") % {"window": window_label(window)})
            return private(redirect("portal:ticket", pk=ticket.pk))
    return _render(request, "reschedule.html", {"ticket": ticket, "form": form})


@require_http_methods(["GET", "POST"])
@customer_required
@idempotent
def cancel_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """取消报修, before dispatch: the page asks for a reason and a second tap, since it cannot be undone
    by the customer."""
    ticket = selectors.access_customer_ticket(request.customer, pk)
    refused = _visit_refused(request, ticket)
    if refused:
        return refused
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            apply_transition(
                ticket_id=ticket.pk, user=None, name="cancel", expected_version=None, note=form.note()
            )
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("报修已取消。如需维修,可以随时重新报修。"))
        return private(redirect("portal:ticket", pk=ticket.pk))
    return _render(request, "cancel.html", {"ticket": ticket, "form": form})


@require_http_methods(["GET", "POST"])
@customer_required
@idempotent
def complain(request: HttpRequest, pk: int) -> HttpResponse:
    """投诉: enters the complaints workflow with its 72-hour plan deadline (surveys.services)."""
    ticket = selectors.access_customer_ticket(request.customer, pk)
    form = ComplaintForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = raise_in_channel(ticket_id=ticket.pk, description=form.cleaned_data["description"])
        except Conflict as exc:
            messages.info(request, exc.message)
            return private(redirect("portal:ticket", pk=ticket.pk))
        except UserError as exc:
            form.add_error("description", exc.message)
        else:
            messages.success(
                request,
                _("投诉已受理(编号 %(number)s)。服务中心会在 %(time)s 前给出处理方案并与您联系。")
                % {
                    "number": complaint.number,
                    "time": timezone.localtime(complaint.plan_due_at).strftime("%m-%d %H:%M"),
                },
            )
            return private(redirect("portal:ticket", pk=ticket.pk))
    return _render(
        request,
        "complaint.html",
        {"ticket": ticket, "form": form, "complaints": selectors.channel_complaints(ticket)},
    )


@require_GET
@customer_required
def voucher(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    """服务凭证 PDF of a signed report of the customer's ticket: the same document the desk prints."""
    ticket = selectors.access_customer_ticket(request.customer, pk)
    service_report = (
        ServiceReport.objects.filter(ticket=ticket, pk=report_id, signed_at__isnull=False)
        .select_related("ticket__customer", "ticket__unit__product_model", "technician")
        .prefetch_related("parts", "addenda", "ticket__customer__phones")
        .first()
    )
    if service_report is None:
        raise Http404("No signed report")
    return pdf_response(
        service_voucher_pdf(service_report), f"service-voucher-{ticket.number}-{service_report.visit}.pdf"
    )


@require_POST
@customer_required
@idempotent
def answer_survey(request: HttpRequest, pk: int) -> HttpResponse:
    """The satisfaction survey answered on the ticket's page."""
    ticket = selectors.access_customer_ticket(request.customer, pk)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, form)
    try:
        answer_in_channel(ticket_id=ticket.pk, answers=form.answers())
    except UserError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("感谢您的评价!"))
    return private(redirect("portal:ticket", pk=ticket.pk))


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """A texted link: the page asks for one tap before the link is used, so that a messenger's link
    preview (which only GETs) does not use up the customer's single-use link."""
    try:
        link = services.find_link(token)
        if request.method == "POST":
            link = services.redeem_link(token=token)
    except services.LinkRefused as exc:
        status = 410 if exc.gone else 404
        return _render(request, "link_refused.html", {"reason": exc.message}, status=status)
    if request.method == "POST":
        ticket = link.ticket
        start_customer_session(request, customer_id=ticket.customer_id, ticket_id=ticket.pk)
        _record_wechat_openid(request)
        return private(redirect("portal:ticket", pk=ticket.pk))
    return _render(request, "link.html", {"ticket": link.ticket})


@require_http_methods(["GET", "POST"])
@customer_required
@idempotent
def report_fault(request: HttpRequest) -> HttpResponse:
    """报修: choose the unit, then describe, add photos, pick a window; the verdict shows at once."""
    access = request.customer
    if not access.whole_account:
        return private(redirect(reverse("portal:sign_in") + "?next=" + request.path))
    unit_id = request.GET.get("unit") or request.POST.get("unit")
    serial = request.GET.get("serial", "").strip()[:60]
    if serial and not unit_id:
        # Scanned from the unit's QR label (or typed): the customer's own unit of that serial, if any.
        unit = selectors.customer_units(access).filter(serial_number__iexact=serial).first()
        if unit is not None:
            return private(redirect(reverse("portal:report") + f"?unit={unit.pk}"))
    if not (unit_id and str(unit_id).isdigit()):
        units = list(selectors.customer_units(access))
        return _render(request, "report_choose.html", {"units": units, "serial": serial})
    unit = selectors.access_customer_unit(access, int(unit_id))
    duplicate = selectors.open_ticket_of_unit(unit)
    if duplicate is not None:
        return _render(request, "report_duplicate.html", {"unit": unit, "ticket": duplicate})
    windows = visit_windows(calendar_for_branch(unit.owner.branch), timezone.now())
    form = FaultReportForm(request.POST or None, request.FILES or None, windows=windows)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = log_self_reported_call(
                unit_id=unit.pk,
                details=CallDetails(fault_category="", fault_description=data["fault_description"]),
                visit_window=(data["window"].start, data["window"].end),
                photos=data["photos"],
                video=data["video"],
            )
        except DuplicateCall as exc:
            return _render(request, "report_duplicate.html", {"unit": unit, "ticket": exc.ticket}, status=409)
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return private(redirect("portal:ticket", pk=ticket.pk))
    return _render(
        request,
        "report.html",
        {"unit": unit, "form": form, "verdict": selectors.verdict_now(unit)},
    )


@require_GET
@customer_required
def fault_photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    ticket = selectors.access_customer_ticket(request.customer, pk)
    photo = FaultPhoto.objects.filter(ticket=ticket, pk=photo_id).first()
    if photo is None:
        raise Http404("No photo")
    return file_response(photo.image)


@require_GET
@customer_required
def fault_video(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.access_customer_ticket(request.customer, pk)
    video = FaultVideo.objects.filter(ticket=ticket).first()
    return video_response(video and video.file)


@require_http_methods(["GET", "POST"])
@customer_required
@idempotent
def register_unit(request: HttpRequest) -> HttpResponse:
    """产品登记: serial (typed, or from the unit's QR label), purchase date and place, invoice photo."""
    access = request.customer
    if not access.whole_account:
        return private(redirect(reverse("portal:sign_in") + "?next=" + request.path))
    initial = {"serial_number": request.GET.get("serial", "")[:60]}
    form = RegistrationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registrations.submit_registration(
                access=access,
                serial_number=data["serial_number"],
                purchase_date=data["purchase_date"],
                purchase_place=data["purchase_place"],
                invoice=data["invoice"],
            )
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("登记已提交,服务中心核对发票后会确认。"))
            return private(redirect("portal:home"))
    return _render(
        request,
        "register.html",
        {"form": form, "registrations": list(registrations.customer_registrations(access)[:20])},
    )


@require_GET
@customer_required
def unit_page(request: HttpRequest, serial: str) -> HttpResponse:
    """Where a unit's QR label leads: the owner's page of the unit; anybody else signed in registers it."""
    unit = selectors.customer_units(request.customer).filter(serial_number=serial).first()
    if unit is None:
        return private(redirect(reverse("portal:register") + "?" + urlencode({"serial": serial})))
    return _render(
        request,
        "unit.html",
        {
            "unit": unit,
            "verdict": selectors.verdict_now(unit),
            "ticket": selectors.open_ticket_of_unit(unit),
            "registrations": list(
                registrations.customer_registrations(request.customer).filter(serial_number=serial)[:5]
            ),
        },
    )


# --- staff ---


def _check_decider(user) -> None:
    if not user.has_role(*EDITORS):
        raise PermissionDenied(_("只有客服/调度和服务主任可以处理产品登记。"))


def _staff_registration(request: HttpRequest, pk: int) -> ProductRegistration:
    _check_decider(request.user)
    # Another branch's registration is a 404, as any row the user may not see.
    return get_object_or_404(
        ProductRegistration.objects.visible_to(request.user).select_related("branch"), pk=pk
    )


@login_required
@require_GET
def registration_queue(request: HttpRequest) -> HttpResponse:
    """The pending registrations of the branch, each with its invoice photo, to confirm or reject."""
    _check_decider(request.user)
    pending = list(registrations.registration_queue(request.user)[:100])
    return render(request, "portal/staff/registrations.html", {"registrations": pending})


@login_required
@require_GET
def registration_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _staff_registration(request, pk)
    return file_response(registration.invoice)


@login_required
@require_POST
@idempotent
def confirm_registration(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _staff_registration(request, pk)
    form = ConfirmRegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(error) for error in form.errors.get("purchase_date", [])))
        return redirect("portal:registrations")
    try:
        registrations.confirm_registration(
            user=request.user,
            registration_id=registration.pk,
            purchase_date=form.cleaned_data["purchase_date"],
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已确认 %(serial)s 的登记,保修自购买日期起算。") % {"serial": registration.serial_number},
        )
    return redirect("portal:registrations")


@login_required
@require_POST
@idempotent
def reject_registration(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _staff_registration(request, pk)
    form = RejectRegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写驳回原因。"))
        return redirect("portal:registrations")
    try:
        registrations.reject_registration(
            user=request.user, registration_id=registration.pk, reason=form.cleaned_data["reason"]
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已驳回 %(serial)s 的登记。") % {"serial": registration.serial_number})
    return redirect("portal:registrations")


@login_required
@require_http_methods(["GET", "POST"])
def label_sheet(request: HttpRequest) -> HttpResponse:
    """Paste serials, get an A4 PDF of QR labels opening each unit's page in the channel."""
    _check_decider(request.user)
    form = LabelsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        serials, wrong = labels.parse_serials(form.cleaned_data["serials"])
        if wrong:
            form.add_error("serials", _("不是序列号:%(lines)s") % {"lines": " ".join(wrong[:5])})
        elif not serials:
            form.add_error("serials", _("请粘贴至少一个序列号。"))
        elif len(serials) > labels.MAX_LABELS:
            form.add_error("serials", _("一次最多打印 %(count)s 个标签。") % {"count": labels.MAX_LABELS})
        else:
            data = labels.labels_pdf(serials, base_url=settings.SITE_URL)
            return pdf_response(data, f"qr-labels-{timezone.localdate():%Y%m%d}.pdf")
    return render(request, "portal/staff/labels.html", {"form": form})


@login_required
@require_POST
@idempotent
def send_sign_in_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The desk texts the customer a sign-in link to this ticket."""
    if not request.user.has_role(Role.DISPATCHER, Role.SUPERVISOR):
        raise PermissionDenied(_("只有客服/调度和服务主任可以发送客户登录链接。"))
    ticket = access_ticket(request.user, pk)
    try:
        phone = services.text_ticket_link(ticket=ticket, user=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已向 %(phone)s 发送登录链接。") % {"phone": phone})
    return redirect(ticket)
