"""The managers' approvals inbox (DESIGN §1, §7): everything waiting for this user's decision, oldest
first, with counts per kind: compensation claims at their level, return-to-factory requests (§3 第十条)
and part requisitions (parts.approvals). A claim is decided right here; the other two open their page,
where approving writes the paperwork they need (goods register, stock)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Role
from parts.approvals import requisitions_awaiting
from tickets.models import RepairTicket, State, TicketEvent
from warranty.claims import Claim, ClaimApproval

INBOX_SIZE = 20  # oldest first, per kind; the counts say how many in all and link to the full lists


def claims_awaiting(user):
    return (
        Claim.objects.awaiting(user)
        .select_related("branch", "ticket__customer", "ticket__unit__product_model", "submitted_by")
        .prefetch_related(
            Prefetch("approvals", queryset=ClaimApproval.objects.select_related("approver").order_by("level"))
        )
        .annotate(attachment_count=Count("attachments"))
        .order_by("submitted_at", "pk")
    )


def returns_awaiting(user):
    """Tickets waiting for the supervisor's return-to-factory decision, by the time it was asked
    (`state_changed_at`, indexed for this queue); the request's note from the history, per row shown."""
    if not user.has_role(Role.SUPERVISOR):
        return RepairTicket.objects.none()
    request = TicketEvent.objects.filter(ticket=OuterRef("pk"), action="request_return").order_by(
        "-at", "-pk"
    )
    return (
        RepairTicket.objects.visible_to(user)
        .filter(state=State.RMA_REQUESTED)
        .select_related("customer", "unit__product_model")
        .only("number", "state", "state_changed_at", "customer__name", "unit__product_model__name")
        .annotate(request_note=Subquery(request.values("note")[:1]))
        .order_by("state_changed_at", "pk")
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    sections = {
        "claims": claims_awaiting(user),
        "returns": returns_awaiting(user),
        "requisitions": requisitions_awaiting(user),
    }
    counts = {name: rows.count() for name, rows in sections.items()}
    rows = {name: list(rows[:INBOX_SIZE]) for name, rows in sections.items()}
    return render(
        request,
        "warranty/approvals.html",
        {"counts": counts, "total": sum(counts.values()), "rows": rows, "inbox_size": INBOX_SIZE},
    )
