"""Amounts in Chinese capital numerals (人民币大写) for printed forms: pure, no database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SECTION_UNITS = ("", "万", "亿", "万亿")
PLACE_UNITS = ("仟", "佰", "拾", "")
MAX_YUAN = 10**16 - 1


def _section(number: int) -> str:
    """0 < number < 10000 → e.g. 1010 → 壹仟零壹拾 (inner zeros read once, trailing zeros not at all)."""
    words = ""
    pending_zero = False
    for place, unit in zip((1000, 100, 10, 1), PLACE_UNITS, strict=True):
        digit = number // place % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words += DIGITS[0]
            pending_zero = False
        words += DIGITS[digit] + unit
    return words


def _integer(number: int) -> str:
    sections = []
    while number:
        number, section = divmod(number, 10_000)
        sections.append(section)
    words = ""
    gap = False  # a zero section or leading zeros since the last words
    for index in reversed(range(len(sections))):
        section = sections[index]
        if section == 0:
            gap = bool(words)
            continue
        if words and (gap or section < 1000):
            words += DIGITS[0]
        words += _section(section) + SECTION_UNITS[index]
        gap = False
    return words


def rmb_upper(amount: Decimal) -> str:
    """`Decimal("1005.50")` → 壹仟零伍元伍角整; `Decimal("100000.07")` → 壹拾万元零柒分.

    Rounded to the fen; the words end in 整 when there are no fen (《支付结算办法》 writing rules).
    """
    cents = int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if cents < 0:
        raise ValueError("negative amount")
    yuan, rest = divmod(cents, 100)
    if yuan > MAX_YUAN:
        raise ValueError("amount too large")
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return "零元整"
    words = _integer(yuan) + "元" if yuan else ""
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen and yuan:
        words += DIGITS[0]
    if fen:
        return words + DIGITS[fen] + "分"
    return words + "整"
