from django import template
from django.utils.html import format_html

from accounts.models import Role
from aftersales.exists import rows_exist
from claims.fee_services import may_quote
from claims.forms import FeeQuoteForm
from claims.models import ApproverRole, Claim, FeeQuote
from claims.selectors import approvals_waiting, fees_awaiting_invoice, write_offs_awaiting_booking
from claims.services import may_file_claim
from tickets.models import ServiceCategory

register = template.Library()

CLAIM_BADGES = {
    "pending": "bg-warning text-dark",
    "approved": "bg-success",
    "rejected": "bg-danger",
    "written_off": "bg-secondary",
}


@register.simple_tag
def claim_badge(claim) -> str:
    """One colour per claim status, the same in the list, the detail and the inbox."""
    return format_html(
        '<span class="badge {}">{}</span>',
        CLAIM_BADGES.get(claim.status, "bg-light"),
        claim.get_status_display(),
    )


@register.filter
def approver_role(role: str) -> str:
    return ApproverRole(role).label if role in ApproverRole.values else role


@register.inclusion_tag("claims/_ticket_claims.html", takes_context=True)
def ticket_claims(context, ticket) -> dict:
    """The money side of a ticket on its page: fees told to the customer before the work with the form
    to record one, and compensation claims with the "new claim" button. One query whether it has either
    (most tickets have neither), then one for each it has."""
    user = context["request"].user
    # Offered on paid service (category A, §7-六); a verdict revised on site moves a ticket there.
    quotable = ticket.service_category == ServiceCategory.PAID and may_quote(ticket, user)
    has_quotes, has_claims = rows_exist(ticket.pk, (FeeQuote, "ticket"), (Claim, "ticket"))
    return {
        "ticket": ticket,
        # Ordered here as the model orders them within a ticket: its ordering starts with the ticket, which
        # joins the ticket table again only to sort by it.
        "quotes": list(
            FeeQuote.objects.filter(ticket=ticket).select_related("told_by").order_by("told_at", "pk")
        )
        if has_quotes
        else [],
        "may_quote": quotable,
        "quote_form": FeeQuoteForm(auto_id="quote-%s", initial={"agreed_by": ticket.customer.name})
        if quotable
        else None,
        "claims": list(Claim.objects.visible_to(user).filter(ticket=ticket).order_by("submitted_at", "pk"))
        if has_claims
        else [],
        "may_file": may_file_claim(ticket, user),
    }


@register.inclusion_tag("claims/_home_work.html")
def home_work(user) -> dict:
    """The home page's cards of work waiting in this app for this user (`{% home_work user %}`): the
    decisions of the approvals inbox and finance's fees to invoice and write-offs to book. Each count is
    the length of the list it links to (the same selector)."""
    approver = user.has_role(*ApproverRole.values)
    finance = user.has_role(Role.FINANCE)
    approvals = {name: rows.count() for name, rows in approvals_waiting(user).items()} if approver else {}
    return {
        "approvals": approvals,
        "approvals_total": sum(approvals.values()),
        "finance": finance,
        "fees_to_invoice": fees_awaiting_invoice(user).count() if finance else 0,
        "write_offs_to_book": write_offs_awaiting_booking(user).count() if finance else 0,
    }
