"""Read queries of the claims app that its views (and later the API) share."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Role
from claims.models import Claim, ClaimApproval, ClaimAttachment, FeeHandover, WriteOff, WriteOffStatus
from parts.approvals import requisitions_awaiting
from tickets.models import RepairTicket, State, TicketEvent


def filtered_claims(user, form):
    """The claim list's rows for a bound `ClaimFilterForm` (an invalid form filters nothing)."""
    claims = Claim.objects.visible_to(user).for_list()
    if not form.is_valid():
        return claims
    data = form.cleaned_data
    if data["status"]:
        claims = claims.filter(status=data["status"])
    if data["kind"]:
        claims = claims.filter(kind=data["kind"])
    query = data["q"].strip()
    if query:
        claims = claims.filter(
            Q(number__istartswith=query)
            | Q(ticket__number__istartswith=query)
            | Q(ticket__customer__name__icontains=query)
        )
    return claims


def claims_awaiting(user):
    # The attachments counted per row in a subquery: Count("attachments") joined them and grouped by every
    # column of six tables, which cost PostgreSQL's planner 6 ms against 3 ms (issue #19, the inbox).
    attachments = (
        ClaimAttachment.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Claim.objects.awaiting(user)
        .select_related("branch", "ticket__customer", "ticket__unit__product_model", "submitted_by")
        .prefetch_related(
            Prefetch("approvals", queryset=ClaimApproval.objects.select_related("approver").order_by("level"))
        )
        .annotate(attachment_count=Coalesce(Subquery(attachments), 0))
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


def approvals_waiting(user) -> dict:
    """Everything waiting for this user's decision, by kind: the approvals inbox and the home page's
    count read the same querysets, so the count is the inbox's length."""
    return {
        "claims": claims_awaiting(user),
        "returns": returns_awaiting(user),
        "requisitions": requisitions_awaiting(user),
    }


def in_users_branch(queryset, user):
    """Finance rows of the user's branch (headquarters: every branch)."""
    if user.sees_all_branches:
        return queryset
    return queryset.filter(branch_id=user.branch_id) if user.branch_id else queryset.none()


def fees_awaiting_invoice(user):
    """Fees finance received and has not invoiced yet (the fees page's "received" tab)."""
    return in_users_branch(FeeHandover.objects.all(), user).filter(invoice_number="")


def write_offs_awaiting_booking(user):
    return in_users_branch(WriteOff.objects.all(), user).filter(status=WriteOffStatus.PENDING)
