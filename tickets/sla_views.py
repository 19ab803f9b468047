"""Ticket pages' SLA actions: record a contact, pause and resume the clocks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.idempotency import idempotent
from aftersales.errors import UserError
from tickets import sla_services
from tickets.access import access_ticket


def _run(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    ticket = access_ticket(request.user, pk)
    try:
        action(ticket)
    except UserError as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您没有权限执行该操作。"))
    else:
        messages.success(request, success)
    return redirect(ticket)


@login_required
@require_POST
@idempotent
def record_contact(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        lambda ticket: sla_services.record_contact(
            ticket_id=ticket.pk, user=request.user, note=request.POST.get("note", "")
        ),
        _("已记录客户联系。"),
    )


@login_required
@require_POST
@idempotent
def pause_clock(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        lambda ticket: sla_services.pause_clock(
            ticket_id=ticket.pk,
            user=request.user,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        ),
        _("计时已暂停,恢复后从剩余时间继续计算。"),
    )


@login_required
@require_POST
@idempotent
def resume_clock(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        lambda ticket: sla_services.resume_clock(ticket_id=ticket.pk, user=request.user),
        _("计时已恢复,期限已按暂停前剩余的时间重新计算。"),
    )
