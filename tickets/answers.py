"""Answers of the technician's field actions, for a person and for the offline outbox alike.

A form post without JavaScript gets what it always got: a message and a redirect. The outbox
(static/js/outbox.js) sends the same post with `Accept: application/json` and must tell a stored action
from a refused one, so it gets JSON: `ok`, the `message` a person would have read, `conflict` when the
record changed elsewhere (with the server's side in `server`), the field `errors` of a refusal, the page
to go to, and the `versions` the action left behind, so that the next queued action of the same record
is sent against the version this one produced rather than the one its cached page showed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tickets.models import RepairTicket, ServiceReport


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def ticket_scope(ticket: RepairTicket) -> str:
    return f"ticket:{ticket.pk}"


def report_scope(ticket: RepairTicket) -> str:
    """The report of the ticket's current visit (a reopened ticket starts another report)."""
    return f"report:{ticket.pk}:{ticket.visit_count}"


def next_report_scope(ticket: RepairTicket) -> str:
    """The report of the visit the next check-in starts (check_in counts the visit)."""
    return f"report:{ticket.pk}:{ticket.visit_count + 1}"


def versions(
    ticket: RepairTicket, report: ServiceReport | None = None, *, bumped_ticket: bool = False
) -> dict:
    """The versions the action produced: only the records it wrote."""
    written = {}
    if bumped_ticket:
        written[ticket_scope(ticket)] = ticket.version
    if report is not None:
        written[report_scope(ticket)] = report.version
    return written


def ticket_moved_on(request: HttpRequest, ticket: RepairTicket, message: str, to: str) -> HttpResponse:
    """The ticket changed since the page was read (a Conflict from its service): refused with its state
    and version now, so the technician's own copy can be sent again against them."""
    ticket.refresh_from_db()
    return refused(
        request,
        message,
        to,
        conflict=True,
        server={_("状态"): ticket.get_state_display()},
        current=versions(ticket, bumped_ticket=True),
    )


def done(request: HttpRequest, message: str, to: str, *, written: dict | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": True, "message": message, "redirect": to, "versions": written or {}})
    messages.success(request, message)
    return redirect(to)


def refused(
    request: HttpRequest,
    message: str,
    to: str,
    *,
    conflict: bool = False,
    server: dict | None = None,
    current: dict | None = None,
    errors: dict | None = None,
) -> HttpResponse:
    """A refusal; `conflict` when the record moved on elsewhere, with `server` (label → the value stored
    now) and `current` (its versions now, against which the technician may send their own copy again)."""
    if wants_json(request):
        return JsonResponse(
            {
                "ok": False,
                "conflict": conflict,
                "message": message,
                "redirect": to,
                "server": server or {},
                "versions": current or {},
                "errors": errors or {},
            },
            status=409 if conflict else 400,
        )
    messages.error(request, message)
    return redirect(to)


def form_errors(form) -> dict:
    """Field label (or "" for the whole form) → its first error, as a technician reads them."""
    return {
        str(form.fields[name].label or name) if name in form.fields else "": str(errors[0])
        for name, errors in form.errors.items()
    }
