from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from tickets.models import ServiceCategory
from warranty.claim_services import may_file_claim
from warranty.claims import ApproverRole, Claim, FeeQuote
from warranty.fee_services import may_quote
from warranty.forms import FeeQuoteForm

register = template.Library()

REMEDY_LABELS = {
    "refund": _("退货退款"),
    "replace": _("换货"),
    "free_repair": _("免费维修"),
    "paid_repair": _("有偿维修"),
    "none": _("不予受理"),
}
PAYER_LABELS = {"company": _("公司承担"), "customer": _("客户承担")}


@register.filter
def remedy_label(code: str) -> str:
    return REMEDY_LABELS.get(code, code)


@register.filter
def remedy_list(codes: list[str]) -> str:
    return pgettext("list separator", ", ").join(str(remedy_label(code)) for code in codes)


@register.filter
def payer_label(code: str | None) -> str:
    return PAYER_LABELS.get(code, "—") if code else "—"


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


@register.inclusion_tag("warranty/_ticket_claims.html", takes_context=True)
def ticket_claims(context, ticket) -> dict:
    """The money side of a ticket on its page (two queries): fees told to the customer before the
    work with the form to record one, and compensation claims with the "new claim" button."""
    user = context["request"].user
    # Offered on paid service (category A, §7-六); a verdict revised on site moves a ticket there.
    quotable = ticket.service_category == ServiceCategory.PAID and may_quote(ticket, user)
    return {
        "ticket": ticket,
        "quotes": list(FeeQuote.objects.filter(ticket=ticket).select_related("told_by")),
        "may_quote": quotable,
        "quote_form": FeeQuoteForm(auto_id="quote-%s", initial={"agreed_by": ticket.customer.name})
        if quotable
        else None,
        "claims": list(Claim.objects.visible_to(user).filter(ticket=ticket).order_by("submitted_at", "pk")),
        "may_file": may_file_claim(ticket, user),
    }
