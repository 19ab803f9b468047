"""The technician's service report screens (tablet and phone): steps, parts, photos, signature."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.idempotency import idempotent
from aftersales.errors import Conflict, UserError
from aftersales.uploads import file_response, video_response
from tickets import answers
from tickets.access import access_ticket
from tickets.documents import pdf_response, service_voucher_pdf
from tickets.forms import (
    AddendumForm,
    FaultCodeForm,
    ReportPartForm,
    ReportPhotoForm,
    ReportStepForm,
    SignatureForm,
    offer_fault_codes,
)
from tickets.models import (
    FaultPhoto,
    FaultVideo,
    RepairTicket,
    ServiceCategory,
    ServiceReport,
    ServiceReportPhoto,
)
from tickets.permissions import may_add_addendum, may_write_report
from tickets.report_services import (
    PARTS_AND_PHOTOS_STEP,
    REPORT_STEPS,
    SIGNATURE_STEP,
    PartLine,
    add_addendum,
    add_part,
    add_photo,
    add_usual_parts,
    choose_fault_code,
    current_report,
    initial_fee,
    missing_fields,
    missing_for_signature,
    proposed_hours,
    remove_part,
    remove_photo,
    report_is_intact,
    save_report,
    sign_report,
    step_fields,
    usual_parts_to_add,
)
from tickets.selectors import offered_fault_codes, signed_report
from tickets.signals import report_parts_step

FINDINGS_STEP = 3  # 查: where the fault code is picked


def _step_url(ticket: RepairTicket, step: int) -> str:
    return f"{reverse('tickets:report', args=[ticket.pk])}?step={step}"


def _requested_step(request: HttpRequest) -> int:
    try:
        step = int(request.GET.get("step", "1"))
    except ValueError:
        step = 1
    return min(max(step, 1), SIGNATURE_STEP)


@login_required
@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk, queryset=RepairTicket.objects.for_detail())
    service_report = current_report(ticket)
    writable = may_write_report(ticket, request.user) and not (service_report and service_report.is_signed)
    step = _requested_step(request)
    if may_write_report(ticket, request.user, before_check_in=True):
        # Kept for offline use before the technician arrives: the steps of the coming visit's report,
        # opened by the outbox once a check-in is queued on the device (report.html).
        return _render_report(request, ticket, None, writable=True, step=step, before_check_in=True)
    return _render_report(request, ticket, service_report, writable=writable, step=step)


def _refused_form(
    request: HttpRequest, ticket: RepairTicket, message: str, step: int, *, writable: bool = True, **forms
) -> HttpResponse:
    """A form of a report step refused: the outbox gets the field errors as JSON; the page shows the step
    again with the form as it was typed (nothing the technician wrote is lost)."""
    form = next(iter(forms.values()))
    if answers.wants_json(request):
        return answers.refused(request, message, _step_url(ticket, step), errors=answers.form_errors(form))
    messages.error(request, message)
    return _render_report(
        request, ticket, current_report(ticket), writable=writable, step=step, status=400, **forms
    )


def _render_report(
    request: HttpRequest,
    ticket: RepairTicket,
    service_report,
    *,
    writable: bool,
    step: int,
    step_form: ReportStepForm | None = None,
    part_form: ReportPartForm | None = None,
    photo_form: ReportPhotoForm | None = None,
    signature_form: SignatureForm | None = None,
    fault_code_form: FaultCodeForm | None = None,
    status: int = 200,
    before_check_in: bool = False,
) -> HttpResponse:
    missing = missing_for_signature(service_report) if service_report else [_("服务报告尚未填写")]
    time_on_site = ticket.time_on_site(timezone.now())
    if writable and step < SIGNATURE_STEP and step_form is None:
        initial = {
            "version": service_report.version if service_report else None,
            "idempotency_key": uuid.uuid4(),  # one per rendered form (accounts/idempotency.py)
        }
        quoted = initial_fee(ticket, service_report)
        if quoted is not None:
            initial["fee"] = quoted
        if service_report is None or service_report.labour_hours is None:
            initial["labour_hours"] = proposed_hours(ticket, time_on_site)
        step_form = ReportStepForm(
            instance=service_report, step_fields=step_fields(ticket, step), initial=initial
        )
    context = {
        "ticket": ticket,
        "report": service_report,
        "intact": report_is_intact(service_report) if service_report else True,
        "writable": writable,
        "step": step,
        "steps": [{"number": n, "title": title} for n, (title, _fields) in enumerate(REPORT_STEPS, start=1)],
        "step_count": len(REPORT_STEPS),
        "step_title": REPORT_STEPS[step - 1][0],
        "signature_step": SIGNATURE_STEP,
        "missing": missing,
        # For signing offline (outbox.js): what the server still lacks, by field name.
        "missing_fields": [
            name
            for name, _label in missing_fields(
                service_report, paid=ticket.service_category == ServiceCategory.PAID
            )
        ],
        "report_scope": answers.next_report_scope(ticket)
        if before_check_in
        else answers.report_scope(ticket),
        "before_check_in": before_check_in,
        "time_on_site": time_on_site,
        "step_form": step_form,
        "part_form": part_form or ReportPartForm(),
        "photo_form": photo_form or ReportPhotoForm(),
        "signature_form": signature_form or SignatureForm(),
        "addendum_form": AddendumForm(initial={"idempotency_key": uuid.uuid4()})
        if service_report and service_report.is_signed and may_add_addendum(ticket, request.user)
        else None,
    }
    if writable and step == FINDINGS_STEP:
        context["fault_code_form"] = fault_code_form or FaultCodeForm(
            initial={"fault_code": ticket.fault_code.code if ticket.fault_code else ""}
        )
        offer_fault_codes(context["fault_code_form"].fields["fault_code"], ticket.unit.product_model_id)
        context["fault_codes"] = offered_fault_codes(ticket.unit.product_model_id)
    if writable and step == PARTS_AND_PHOTOS_STEP:
        context["usual_parts"] = usual_parts_to_add(ticket, service_report)
        for _receiver, extra in report_parts_step.send(
            sender=RepairTicket, user=request.user, report=service_report, part_form=context["part_form"]
        ):
            context.update(extra)
    return render(request, "tickets/report.html", context, status=status)


def _writable_ticket(request: HttpRequest, pk: int) -> RepairTicket:
    return access_ticket(request.user, pk, queryset=RepairTicket.objects.for_detail())


def _server_side(ticket: RepairTicket, field_names) -> tuple[dict, dict]:
    """For a conflict: the stored values of the fields the technician sent, and the report's version now."""
    service_report = current_report(ticket)
    if service_report is None:
        return {}, {}
    form = ReportStepForm(instance=service_report, step_fields=list(field_names))
    stored = {str(form.fields[name].label): _display(getattr(service_report, name)) for name in field_names}
    return stored, answers.versions(ticket, service_report)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


@login_required
@require_POST
@idempotent
def report_step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    if not 1 <= step < SIGNATURE_STEP:
        return redirect(_step_url(ticket, 1))
    fields = step_fields(ticket, step)
    service_report = current_report(ticket)
    form = ReportStepForm(request.POST, instance=service_report, step_fields=fields)
    if form.is_valid():
        try:
            service_report = save_report(
                ticket_id=ticket.pk,
                user=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
            )
        except Conflict as exc:
            stored, current = _server_side(ticket, fields)
            return answers.refused(
                request, str(exc), _step_url(ticket, step), conflict=True, server=stored, current=current
            )
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return answers.done(
                request,
                _("第 %(step)s 步已保存。") % {"step": step},
                _step_url(ticket, step + 1),
                written=answers.versions(ticket, service_report),
            )
    return _refused_form(request, ticket, _("请按提示修改标红的项目后再保存。"), step, step_form=form)


@login_required
@require_POST
@idempotent
def report_add_part(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    to = _step_url(ticket, PARTS_AND_PHOTOS_STEP)
    form = ReportPartForm(request.POST)
    if form.is_valid():
        try:
            part = add_part(ticket_id=ticket.pk, user=request.user, line=PartLine(**form.cleaned_data))
        except Conflict as exc:
            return answers.refused(request, str(exc), to, conflict=True)
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return answers.done(
                request,
                _("已添加配件 %(name)s。") % {"name": form.cleaned_data["part_name"]},
                to,
                written=answers.versions(ticket, part.report),
            )
    message = _("请按提示修改配件信息。")
    return _refused_form(request, ticket, message, PARTS_AND_PHOTOS_STEP, part_form=form)


@login_required
@require_POST
@idempotent
def report_fault_code(request: HttpRequest, pk: int) -> HttpResponse:
    """查 step: pick the library's fault code (or clear it); the 维修 step then proposes from it."""
    ticket = _writable_ticket(request, pk)
    to = _step_url(ticket, FINDINGS_STEP)
    form = FaultCodeForm(request.POST)
    if form.is_valid():
        try:
            ticket = choose_fault_code(
                ticket_id=ticket.pk, user=request.user, code=form.cleaned_data["fault_code"]
            )
        except Conflict as exc:
            return answers.refused(request, str(exc), to, conflict=True)
        except UserError as exc:
            form.add_error("fault_code", str(exc))
        else:
            done = (
                _("已选定故障代码 %(code)s。") % {"code": ticket.fault_code}
                if ticket.fault_code
                else _("已清除故障代码。")
            )
            return answers.done(request, done, to)
    message = form.errors["fault_code"][0]
    return _refused_form(request, ticket, message, FINDINGS_STEP, fault_code_form=form)


@login_required
@require_POST
@idempotent
def report_add_usual_parts(request: HttpRequest, pk: int) -> HttpResponse:
    """维修 step: add the fault code's usual parts the report lacks, in one tap."""
    ticket = _writable_ticket(request, pk)
    to = _step_url(ticket, PARTS_AND_PHOTOS_STEP)
    try:
        added = add_usual_parts(ticket_id=ticket.pk, user=request.user)
    except UserError as exc:
        return answers.refused(request, str(exc), to, conflict=isinstance(exc, Conflict))
    return answers.done(request, _("已按故障代码添加 %(n)s 项配件。") % {"n": added}, to)


@login_required
@require_POST
@idempotent
def report_remove_part(request: HttpRequest, pk: int, part_id: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    return _remove_line(
        request,
        ticket,
        lambda: remove_part(ticket_id=ticket.pk, user=request.user, part_id=part_id),
        _("已删除配件。"),
    )


@login_required
@require_POST
@idempotent
def report_add_photo(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    to = _step_url(ticket, PARTS_AND_PHOTOS_STEP)
    form = ReportPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photo = add_photo(ticket_id=ticket.pk, user=request.user, upload=form.cleaned_data["photo"])
        except Conflict as exc:
            return answers.refused(request, str(exc), to, conflict=True)
        except UserError as exc:
            form.add_error("photo", str(exc))
        else:
            return answers.done(
                request, _("照片已上传。"), to, written=answers.versions(ticket, photo.report)
            )
    message = form.errors["photo"][0]
    return _refused_form(request, ticket, message, PARTS_AND_PHOTOS_STEP, photo_form=form)


@login_required
@require_POST
@idempotent
def report_remove_photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    return _remove_line(
        request,
        ticket,
        lambda: remove_photo(ticket_id=ticket.pk, user=request.user, photo_id=photo_id),
        _("已删除照片。"),
    )


def _remove_line(request: HttpRequest, ticket: RepairTicket, remove, done: str) -> HttpResponse:
    """Run a removal from the parts-and-photos step and say on the page what happened."""
    to = _step_url(ticket, PARTS_AND_PHOTOS_STEP)
    try:
        remove()
    except UserError as exc:
        return answers.refused(request, str(exc), to, conflict=isinstance(exc, Conflict))
    return answers.done(request, done, to)


@login_required
@require_POST
@idempotent
def report_sign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    form = SignatureForm(request.POST)
    if form.is_valid():
        try:
            service_report = sign_report(
                ticket_id=ticket.pk,
                user=request.user,
                signer_name=form.cleaned_data["signer_name"],
                signature_png=form.cleaned_data["signature"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            return answers.refused(
                request,
                str(exc),
                _step_url(ticket, SIGNATURE_STEP),
                conflict=True,
                current=answers.versions(ticket, current_report(ticket)),
            )
        except UserError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            message = str(exc)
        else:
            ticket.refresh_from_db()
            return answers.done(
                request,
                _("客户已签字,服务报告已锁定。下一步:完成上门服务。"),
                ticket.get_absolute_url(),
                written=answers.versions(ticket, service_report, bumped_ticket=True),
            )
    else:
        message = _("请按提示修改后再提交签字。")
    return _refused_form(
        request,
        ticket,
        message,
        SIGNATURE_STEP,
        writable=may_write_report(ticket, request.user),
        signature_form=form,
    )


@login_required
@require_POST
@idempotent
def report_addendum(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _writable_ticket(request, pk)
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect("tickets:report", pk=ticket.pk)
    try:
        add_addendum(
            ticket_id=ticket.pk,
            user=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            text=form.cleaned_data["text"],
            signer_name=form.cleaned_data["signer_name"],
            signature_png=form.cleaned_data["signature"],
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("补充说明已由客户签字保存,原服务报告保持不变。"))
    return redirect("tickets:report", pk=ticket.pk)


@login_required
@require_GET
def report_voucher(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    """服务凭证 PDF of a signed report (A4, Chinese)."""
    ticket = access_ticket(request.user, pk)
    service_report = signed_report(ticket, report_id)
    if service_report is None:
        raise Http404("No signed report")
    return pdf_response(
        service_voucher_pdf(service_report), f"service-voucher-{ticket.number}-{service_report.visit}.pdf"
    )


@login_required
@require_GET
def report_signature(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    """The customer's signature: personal data, served only to those who may see the ticket."""
    ticket = access_ticket(request.user, pk)
    service_report = ServiceReport.objects.filter(ticket=ticket, pk=report_id).exclude(signature="").first()
    if service_report is None:
        raise Http404("No signature")
    return file_response(service_report.signature, content_type="image/png")


@login_required
@require_GET
def report_photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    photo = ServiceReportPhoto.objects.filter(report__ticket=ticket, pk=photo_id).first()
    if photo is None:
        raise Http404("No photo")
    return file_response(photo.image)


@login_required
@require_GET
def fault_photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    """A photo the customer added when reporting the fault in their channel."""
    ticket = access_ticket(request.user, pk)
    photo = FaultPhoto.objects.filter(ticket=ticket, pk=photo_id).first()
    if photo is None:
        raise Http404("No photo")
    return file_response(photo.image)


@login_required
@require_GET
def fault_video(request: HttpRequest, pk: int) -> HttpResponse:
    """The short video the customer added when reporting the fault in their channel."""
    ticket = access_ticket(request.user, pk)
    video = FaultVideo.objects.filter(ticket=ticket).first()
    return video_response(video and video.file)
