"""Warranty verdicts: which remedy a customer may choose, who pays, and why.

`evaluate()` is a pure function of a policy and a request (frozen dataclasses, no ORM, no settings, no
clock), so the same verdict comes out of the call intake, the API, a Celery task or an import, and the
rules can be tested by the thousand without a database. A reason is a stable code with its parameters
(numbers, dates, periods, condition codes); its text is made from them in the active language
(`reason_text`), so a verdict stored on a ticket reads in each reader's language.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext


class Remedy(StrEnum):
    REFUND = "refund"
    REPLACE = "replace"
    FREE_REPAIR = "free_repair"
    PAID_REPAIR = "paid_repair"
    NONE = "none"


class Fault(StrEnum):
    QUALITY = "quality"
    CUSTOMER = "customer"
    NONE = "none"


class Payer(StrEnum):
    COMPANY = "company"
    CUSTOMER = "customer"


class PeriodUnit(StrEnum):
    DAYS = "days"
    MONTHS = "months"


# Best first: a decision's remedy is the first eligible one in this order.
REMEDY_ORDER: tuple[Remedy, ...] = (
    Remedy.REFUND,
    Remedy.REPLACE,
    Remedy.FREE_REPAIR,
    Remedy.PAID_REPAIR,
    Remedy.NONE,
)


def add_months(d: date, months: int) -> date:
    """Add calendar months; a day the target month lacks becomes its last day (Jan 31 + 1 = Feb 28/29)."""
    year, month_index = divmod(d.year * 12 + (d.month - 1) + months, 12)
    month = month_index + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    amount: int
    unit: PeriodUnit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a period cannot be negative")
        object.__setattr__(self, "unit", PeriodUnit(self.unit))

    def last_day(self, start: date) -> date:
        """The last day the period covers: day 0 is `start`, so "within 7 days" ends on start + 7."""
        if self.unit == PeriodUnit.DAYS:
            return start + timedelta(days=self.amount)
        return add_months(start, self.amount)

    def covers(self, start: date, day: date) -> bool:
        return day <= self.last_day(start)

    def describe(self) -> str:
        """ "15 days", "1 month" in the active language, for reason texts."""
        if self.unit == PeriodUnit.DAYS:
            text = ngettext("%(count)s day", "%(count)s days", self.amount)
        else:
            text = ngettext("%(count)s month", "%(count)s months", self.amount)
        return text % {"count": self.amount}


class InvalidPolicyTerms(ValueError):
    """Terms the engine cannot apply; `field` names the PolicyTerms field at fault, so that a form can show
    the error beside it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class PolicyTerms:
    slug: str
    version: int
    no_reason_return: Period | None
    refund: Period | None
    replace: Period | None
    free_repair: Period
    repeat_extension: Period | None
    exclusions: frozenset[str]
    failed_repairs_for_choice: int | None
    purchase_proof_required: bool
    # Exclusions that block a return only when the item has no quality fault (a subset of `exclusions`).
    exclusions_without_fault_only: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable (a JSON list from the database) and keep the terms hashable.
        object.__setattr__(self, "exclusions", frozenset(self.exclusions))
        object.__setattr__(
            self, "exclusions_without_fault_only", frozenset(self.exclusions_without_fault_only)
        )
        if not self.exclusions_without_fault_only <= self.exclusions:
            raise InvalidPolicyTerms("exclusions_without_fault_only", "must be a subset of exclusions")
        if self.failed_repairs_for_choice is not None and self.failed_repairs_for_choice < 1:
            raise InvalidPolicyTerms("failed_repairs_for_choice", "must be at least 1")


# §3 产品售后服务流程: 第四条 refund within 7 days, 第五条 same-model replacement within 1 month (void with
# visible appearance damage), 第六条 12 months free repair, 第八条 +2 months per repeated repair of the
# same fault, 第十一条 free warranty service needs the purchase date and place.
MANUFACTURER = PolicyTerms(
    slug="manufacturer",
    version=1,
    no_reason_return=None,
    refund=Period(7, PeriodUnit.DAYS),
    replace=Period(1, PeriodUnit.MONTHS),
    free_repair=Period(12, PeriodUnit.MONTHS),
    repeat_extension=Period(2, PeriodUnit.MONTHS),
    exclusions=frozenset({"appearance_damage"}),
    failed_repairs_for_choice=None,
    purchase_proof_required=True,
)

# §5 门店售后服务管理制度: 第六条 return without reason within 7 days if the item can be resold; quality fault:
# 第七条 refund ≤ 15 days, 第八条 exchange ≤ 30 days, 第九条 free repair ≤ 3 months, 第十条 paid after
# (bands read as contiguous, DESIGN §4); 第十一至十五条 no return or exchange.
RETAIL = PolicyTerms(
    slug="retail",
    version=1,
    no_reason_return=Period(7, PeriodUnit.DAYS),
    refund=Period(15, PeriodUnit.DAYS),
    replace=Period(30, PeriodUnit.DAYS),
    free_repair=Period(3, PeriodUnit.MONTHS),
    repeat_extension=None,
    exclusions=frozenset(
        {
            "use_marks",  # 第十一条, only without a quality fault
            "custom_made",  # 第十二条, only without a quality fault
            "packaging_damaged",  # 第十三条
            "accessories_missing",  # 第十三条
            "no_warranty_card",  # 第十三条
            "special_price",  # 第十五条
            "gift",  # 第十五条
        }
    ),
    failed_repairs_for_choice=None,
    purchase_proof_required=False,
    # §5 第十一、十二条: "商品本身无质量问题,且有明显的使用或加工痕迹的" and "定制、特别加工的商品无质量问题的,
    # 恕不退换": with a quality fault such an item is refunded or exchanged within the bands as usual.
    exclusions_without_fault_only=frozenset({"use_marks", "custom_made"}),
)

# 部分商品修理更换退货责任规定 (三包): within 7 days of sale a performance fault may be refunded, exchanged or
# repaired; within 15 days exchanged or repaired; free repair in the 三包 period (12 months for the whole
# unit of most listed goods); repaired twice inside the period and still faulty: exchange or refund.
# Exclusions: the consumer claims 三包 "凭发票及三包凭证", so no warranty card blocks refund and exchange
# (the regulation keeps repair possible when the date is otherwise proven, which purchase_date models).
# Appearance damage is not named in the regulation; it is kept because a return or exchange hands back the
# unit as sold and damage from use is the consumer's ("使用、维护、保管不当"), while the fault itself is
# still repaired free. Misuse, disassembly by others and force majeure are Fault.CUSTOMER (paid repair).
# Not modelled: repair time not counted in the 三包 period, depreciation fee on a refund after repairs.
CN_NATIONAL = PolicyTerms(
    slug="cn-national",
    version=1,
    no_reason_return=None,
    refund=Period(7, PeriodUnit.DAYS),
    replace=Period(15, PeriodUnit.DAYS),
    free_repair=Period(12, PeriodUnit.MONTHS),
    repeat_extension=None,
    exclusions=frozenset({"appearance_damage", "no_warranty_card"}),
    failed_repairs_for_choice=2,
    purchase_proof_required=False,
)

PRESETS: dict[str, PolicyTerms] = {terms.slug: terms for terms in (MANUFACTURER, RETAIL, CN_NATIONAL)}
ALL_CONDITIONS: frozenset[str] = frozenset().union(*(terms.exclusions for terms in PRESETS.values()))


def condition_label(code: str) -> str:
    """A condition's name in the active language; an unknown code is returned as it is."""
    labels = {
        "appearance_damage": _("visible appearance damage"),
        "use_marks": _("visible marks of use or processing"),
        "custom_made": _("custom-made or specially processed item"),
        "packaging_damaged": _("original packaging damaged or lost"),
        "accessories_missing": _("accessories missing or damaged"),
        "no_warranty_card": _("no warranty card"),
        "special_price": _("special-price item"),
        "gift": _("gift"),
    }
    return labels.get(code, code)


@dataclass(frozen=True)
class WarrantyRequest:
    purchase_date: date | None
    report_date: date
    fault: Fault
    conditions: frozenset[str] = frozenset()
    prior_repairs_same_fault: int = 0
    purchase_proof: bool = True
    under_contract: bool = False


@dataclass(frozen=True)
class Reason:
    code: str
    # JSON-ready values only: numbers, strings, booleans, and periods as (amount, unit) pairs.
    params: tuple[tuple[str, object], ...] = ()

    @property
    def text(self) -> str:
        return reason_text(self.code, dict(self.params))

    def as_dict(self) -> dict:
        params = {name: list(value) if isinstance(value, tuple) else value for name, value in self.params}
        return {"code": self.code, "text": self.text, "params": params}


def _reason(code: str, **params: object) -> Reason:
    return Reason(code, tuple(sorted(params.items())))


def _period(period: Period) -> tuple[int, str]:
    return (period.amount, str(period.unit))


def reason_text(code: str, params: dict) -> str:
    """A reason's sentence in the active language, from its code and parameters (as stored by
    `Reason.as_dict`; a period may come back from JSON as a list)."""

    def period(name: str) -> str:
        amount, unit = params[name]
        return Period(int(amount), PeriodUnit(unit)).describe()

    def when() -> str:
        return _when(int(params["days"]))

    case = params.get("case", "")
    if code.startswith("excluded:"):
        condition = condition_label(code.removeprefix("excluded:"))
        if case == "no_fault":
            return _("Excluded (%(condition)s): no return without a quality fault") % {"condition": condition}
        return _("Excluded (%(condition)s): no refund or exchange, repair only") % {"condition": condition}
    if code == "customer_damage":
        return _("Damage caused by the customer: the repair is paid by the customer at the market price")
    if code == "no_fault":
        return _("No quality fault: no refund, exchange or free repair under this policy")
    if code == "contract":
        return _("Maintenance contract in force: the repair is free under the contract")
    if code == "no_purchase_proof":
        if case == "no_fault":
            return _("Purchase date unknown: a return without a reason cannot be checked")
        if case == "contract":
            return _("Purchase date unknown: the return and warranty periods cannot be checked")
        if case == "proof_required":
            return _("Purchase place not provided: free warranty service needs the purchase date and place")
        return _(
            "Purchase date unknown: the return and warranty periods cannot be checked, the repair is paid"
        )
    if code == "no_reason_return_expired":
        return _("%(when)s, no quality fault: returns without a reason only within %(limit)s") % {
            "when": when(),
            "limit": period("limit"),
        }
    if code == "no_reason_return":
        return _("%(when)s: returns without a reason within %(limit)s if the item can still be resold") % {
            "when": when(),
            "limit": period("limit"),
        }
    if code == "repeat_extension":
        count = int(params["count"])
        return ngettext(
            "The same fault was repaired %(count)s time before: warranty extended by %(extension)s to %(end)s",
            "The same fault was repaired %(count)s times before: warranty extended by %(extension)s to %(end)s",
            count,
        ) % {"count": count, "extension": period("extension"), "end": params["end"]}
    if code == "refund_window":
        return _("%(when)s, quality fault: refund within %(limit)s") % {
            "when": when(),
            "limit": period("limit"),
        }
    if code == "replace_window":
        return _("%(when)s, quality fault: exchange within %(limit)s") % {
            "when": when(),
            "limit": period("limit"),
        }
    if code == "failed_repairs_choice":
        count = int(params["count"])
        return ngettext(
            "The same fault was repaired %(count)s time inside the warranty: "
            "the customer may choose an exchange or a refund",
            "The same fault was repaired %(count)s times inside the warranty: "
            "the customer may choose an exchange or a refund",
            count,
        ) % {"count": count}
    if code == "free_repair_window":
        return _("%(when)s, quality fault: free repair within %(limit)s, warranty until %(end)s") % {
            "when": when(),
            "limit": period("limit"),
            "end": params["end"],
        }
    if code == "out_of_warranty":
        values = {"when": when(), "limit": period("limit"), "end": params["end"]}
        if params.get("paid"):
            return _("%(when)s: the warranty of %(limit)s ended on %(end)s, the repair is paid") % values
        return _("%(when)s: the warranty of %(limit)s ended on %(end)s") % values
    raise KeyError(code)


@dataclass(frozen=True)
class WarrantyDecision:
    remedy: Remedy
    eligible: tuple[Remedy, ...]
    payer: Payer | None
    warranty_end: date | None
    reasons: tuple[Reason, ...]
    policy_slug: str
    policy_version: int

    def as_dict(self) -> dict:
        return {
            "remedy": str(self.remedy),
            "eligible": [str(remedy) for remedy in self.eligible],
            "payer": None if self.payer is None else str(self.payer),
            "warranty_end": None if self.warranty_end is None else self.warranty_end.isoformat(),
            "reasons": [reason.as_dict() for reason in self.reasons],
            "policy": self.policy_slug,
            "policy_version": self.policy_version,
        }


class InvalidWarrantyRequest(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def _is_date(value: object) -> bool:
    # A datetime is a date subclass but does not compare with one.
    return isinstance(value, date) and not isinstance(value, datetime)


def validate(terms: PolicyTerms, request: WarrantyRequest) -> dict[str, str]:
    """Field name -> message in the active language; empty when `evaluate` can decide."""
    errors: dict[str, str] = {}
    if request.fault not in tuple(Fault):
        errors["fault"] = _("Unknown fault type")
    prior = request.prior_repairs_same_fault
    if not isinstance(prior, int) or isinstance(prior, bool):
        errors["prior_repairs_same_fault"] = _("Enter a whole number of earlier repairs")
    elif prior < 0:
        errors["prior_repairs_same_fault"] = _("The number of earlier repairs cannot be negative")
    unknown = sorted(frozenset(request.conditions) - terms.exclusions)
    if unknown:
        separator = pgettext("list separator", ", ")
        errors["conditions"] = _("Unknown condition for this policy: %(conditions)s") % {
            "conditions": separator.join(condition_label(code) for code in unknown)
        }
    purchase = request.purchase_date
    if not _is_date(request.report_date):
        errors["report_date"] = _("Enter a valid report date")
    if purchase is not None and not _is_date(purchase):
        errors["purchase_date"] = _("Enter a valid purchase date")
    if purchase is not None and not errors.keys() & {"report_date", "purchase_date"}:
        if request.report_date < purchase:
            errors["report_date"] = _("The report date cannot be before the purchase date")
        else:
            count = prior if "prior_repairs_same_fault" not in errors else 0
            try:
                _warranty_end(terms, purchase, count)
            except (OverflowError, ValueError):
                errors["purchase_date"] = _("The purchase date is out of range")
    return errors


def _warranty_end(terms: PolicyTerms, purchase_date: date, prior_repairs: int) -> date:
    extension = terms.repeat_extension
    if extension is None or prior_repairs == 0:
        return terms.free_repair.last_day(purchase_date)
    if extension.unit == terms.free_repair.unit:
        # One sum, so that Feb 29 + (12 + 2) months is Apr 29 and not Apr 28 via Feb 28.
        total = terms.free_repair.amount + prior_repairs * extension.amount
        return Period(total, extension.unit).last_day(purchase_date)
    end = terms.free_repair.last_day(purchase_date)
    return Period(prior_repairs * extension.amount, extension.unit).last_day(end)


def _when(elapsed_days: int) -> str:
    if elapsed_days == 0:
        return _("On the day of purchase")
    return _("Day %(day)s after purchase") % {"day": elapsed_days}


def _payer(remedy: Remedy) -> Payer | None:
    if remedy == Remedy.NONE:
        return None
    return Payer.CUSTOMER if remedy == Remedy.PAID_REPAIR else Payer.COMPANY


def evaluate(terms: PolicyTerms, request: WarrantyRequest) -> WarrantyDecision:
    """Decide the remedies for one repair call under one policy; raise InvalidWarrantyRequest on bad input."""
    errors = validate(terms, request)
    if errors:
        raise InvalidWarrantyRequest(errors)

    purchase = request.purchase_date
    report = request.report_date
    prior = request.prior_repairs_same_fault
    conditions = frozenset(request.conditions)
    warranty_end = None if purchase is None else _warranty_end(terms, purchase, prior)
    eligible: list[Remedy] = []
    reasons: list[Reason] = []

    if request.fault == Fault.CUSTOMER:
        # §2-一-1: damage the customer caused is repaired at the latest market price, whatever the
        # policy and also under a maintenance contract.
        eligible.append(Remedy.PAID_REPAIR)
        reasons.append(_reason("customer_damage"))
    elif request.fault == Fault.NONE:
        _decide_no_fault(terms, purchase, report, conditions, eligible, reasons)
    else:
        _decide_quality_fault(terms, request, warranty_end, eligible, reasons)

    ordered = tuple(remedy for remedy in REMEDY_ORDER if remedy in eligible)
    remedy = ordered[0] if ordered else Remedy.NONE
    return WarrantyDecision(
        remedy=remedy,
        eligible=ordered,
        payer=_payer(remedy),
        warranty_end=warranty_end,
        reasons=tuple(reasons),
        policy_slug=terms.slug,
        policy_version=terms.version,
    )


def _excluded_reasons(conditions: frozenset[str], case: str) -> list[Reason]:
    return [_reason(f"excluded:{code}", case=case) for code in sorted(conditions)]


def _decide_no_fault(
    terms: PolicyTerms,
    purchase: date | None,
    report: date,
    conditions: frozenset[str],
    eligible: list[Remedy],
    reasons: list[Reason],
) -> None:
    window = terms.no_reason_return
    if window is None:
        reasons.append(_reason("no_fault"))
        return
    if purchase is None:
        reasons.append(_reason("no_purchase_proof", case="no_fault"))
        return
    days = (report - purchase).days
    if not window.covers(purchase, report):
        reasons.append(_reason("no_reason_return_expired", days=days, limit=_period(window)))
    elif conditions:
        # §5 第六条: only an item that can still be resold; every exclusion (第十一至十五条) blocks it.
        reasons.extend(_excluded_reasons(conditions, "no_fault"))
    else:
        eligible.append(Remedy.REFUND)
        reasons.append(_reason("no_reason_return", days=days, limit=_period(window)))


def _decide_quality_fault(
    terms: PolicyTerms,
    request: WarrantyRequest,
    warranty_end: date | None,
    eligible: list[Remedy],
    reasons: list[Reason],
) -> None:
    purchase = request.purchase_date
    prior = request.prior_repairs_same_fault

    if purchase is None or warranty_end is None:
        reasons.append(_reason("no_purchase_proof", case="contract" if request.under_contract else "paid"))
    else:
        if not terms.purchase_proof_required or request.purchase_proof:
            _decide_warranty_bands(terms, request, purchase, warranty_end, eligible, reasons)
        elif request.report_date <= warranty_end:
            # §3 第十一条: free warranty service needs the purchase date and place; past the warranty the
            # missing place changes nothing, the expiry is the reason.
            reasons.append(_reason("no_purchase_proof", case="proof_required"))
        else:
            reasons.append(_out_of_warranty(terms, request, purchase, warranty_end))
        if terms.repeat_extension is not None and prior > 0:
            # §3 第八条: each repeated repair of the same fault extends the warranty by two months.
            extension = Period(prior * terms.repeat_extension.amount, terms.repeat_extension.unit)
            reasons.append(
                _reason(
                    "repeat_extension",
                    count=prior,
                    extension=_period(extension),
                    end=warranty_end.isoformat(),
                )
            )

    if request.under_contract:
        # §7(六) B 合同服务 and §3 第六条 "有另外合同约定的除外": the contract, not the warranty, covers the
        # repair, also past the warranty or without the warranty's purchase proof.
        if Remedy.FREE_REPAIR not in eligible:
            eligible.append(Remedy.FREE_REPAIR)
        reasons.append(_reason("contract"))
    elif Remedy.FREE_REPAIR not in eligible:
        eligible.append(Remedy.PAID_REPAIR)


def _decide_warranty_bands(
    terms: PolicyTerms,
    request: WarrantyRequest,
    purchase: date,
    warranty_end: date,
    eligible: list[Remedy],
    reasons: list[Reason],
) -> None:
    report = request.report_date
    prior = request.prior_repairs_same_fault
    days = (report - purchase).days
    in_warranty = report <= warranty_end
    blocking = frozenset(request.conditions) - terms.exclusions_without_fault_only

    if blocking:
        reasons.extend(_excluded_reasons(blocking, "quality"))
    else:
        if terms.refund is not None and terms.refund.covers(purchase, report):
            eligible.append(Remedy.REFUND)
            reasons.append(_reason("refund_window", days=days, limit=_period(terms.refund)))
        if terms.replace is not None and terms.replace.covers(purchase, report):
            eligible.append(Remedy.REPLACE)
            reasons.append(_reason("replace_window", days=days, limit=_period(terms.replace)))
        threshold = terms.failed_repairs_for_choice
        if threshold is not None and prior >= threshold and in_warranty:
            # 三包: repaired twice inside the period and still not working, the customer may choose an
            # exchange or a refund.
            eligible.extend([Remedy.REFUND, Remedy.REPLACE])
            reasons.append(_reason("failed_repairs_choice", count=prior))

    if in_warranty:
        eligible.append(Remedy.FREE_REPAIR)
        limit = _period(terms.free_repair)
        reasons.append(_reason("free_repair_window", days=days, limit=limit, end=warranty_end.isoformat()))
    else:
        reasons.append(_out_of_warranty(terms, request, purchase, warranty_end))


def _out_of_warranty(
    terms: PolicyTerms, request: WarrantyRequest, purchase: date, warranty_end: date
) -> Reason:
    return _reason(
        "out_of_warranty",
        days=(request.report_date - purchase).days,
        limit=_period(terms.free_repair),
        end=warranty_end.isoformat(),
        paid=not request.under_contract,
    )
