from django import template
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from warranty.models import WarrantyPolicy, policy_name
from warranty.rules import reason_text

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


# Reasons whose text needs nothing but the code: verdicts stored before the parameters were kept read in
# the reader's language too.
REASONS_WITHOUT_PARAMETERS = frozenset({"customer_damage", "no_fault", "contract"})


@register.filter
def reason(stored: dict) -> str:
    """A verdict's reason in the reader's language, from its code and parameters; a reason stored before
    they were kept (or one the rules no longer know) shows its stored text."""
    params = stored.get("params")
    if params is None and stored.get("code") in REASONS_WITHOUT_PARAMETERS:
        params = {}
    if params is not None:
        try:
            return reason_text(stored["code"], params)
        except (KeyError, TypeError, ValueError):
            pass
    return stored.get("text", "")


@register.simple_tag
def policy_label(decision: dict, known: WarrantyPolicy | None = None) -> str:
    """The policy a verdict was given under, by its name and version in the reader's language (the verdict
    keeps the policy's code, "manufacturer", which is no word of the page's). `known`, a policy the page
    has loaded already (the ticket's product's), saves the query when it is the verdict's."""
    slug = decision.get("policy")
    if isinstance(known, WarrantyPolicy) and known.slug == slug:
        name = known.name
    else:
        name = WarrantyPolicy.objects.filter(slug=slug).values_list("name", flat=True).first()
    return gettext("%(name)s,第 %(version)s 版") % {
        "name": policy_name(name) if name else slug,
        "version": decision.get("policy_version"),
    }
