"""The parts step of the technician's service report: pick a part from the van, see what will
happen to each line when the visit completes (parts.services.record_report_usage)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from parts.models import StockLevel
from parts.services import van_of
from tickets.templatetags.ticket_tags import yuan


def parts_step_context(user, report, part_form) -> dict:
    """Offer the van's parts as a datalist on the code field, and flag the lines that will not leave
    the van by themselves at completion (they go to the warehouse's outstanding list instead)."""
    van = van_of(user)
    levels = list(
        StockLevel.objects.filter(warehouse=van, on_hand__gt=0).select_related("part").order_by("part__code")
        if van
        else []
    )
    part_form.fields["part_code"].widget.attrs.update({"list": "van-parts", "autocomplete": "off"})
    on_hand = {level.part.code: level.on_hand for level in levels}
    if report is not None:
        needed: dict[str, int] = {}
        for line in report.parts.all():
            if not line.part_code:
                line.stock_warning = _("未填写配件编号:完工后由库管核对出库。")
                continue
            needed[line.part_code] = needed.get(line.part_code, 0) + line.quantity
            if line.part_code not in on_hand:
                line.stock_warning = _("车载库中没有该配件:完工后由库管处理出库。")
            elif needed[line.part_code] > on_hand[line.part_code]:
                line.stock_warning = _("车载库存只有 %(n)s 件:完工后由库管处理出库。") % {
                    "n": on_hand[line.part_code]
                }
    options = [
        {
            "code": level.part.code,
            # §2-一-1: a part broken by the customer is charged at the market price.
            "label": _("%(name)s · 车载库存 %(n)s %(unit)s · 市场价 %(price)s")
            % {
                "name": level.part.name,
                "n": level.on_hand,
                "unit": level.part.unit,
                "price": yuan(level.part.market_price),
            },
        }
        for level in levels
    ]
    return {"van_parts": options}
