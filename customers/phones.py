"""Chinese phone numbers: one normal form, so a search typed in any form finds the customer.

Normal form: digits only. Mobile: 11 digits starting with 1 (a +86 / 0086 / 86 prefix is dropped).
Landline: area code with its leading 0 and the local number, e.g. 02161234567 for 021-6123 4567.
An extension after the number (转, ext, x, #) is kept behind a dash: 02161234567-808.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_EXTENSION = re.compile(r"(?:转|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010 and 02x have 3 digits, the rest 4 (0xxx); local numbers 7 or 8 digits.
_LANDLINE = re.compile(r"^(?:0(?:10|2\d)\d{8}|0[3-9]\d{2}\d{7,8})$")
_SERVICE = re.compile(r"^(?:400|800)\d{7}$")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Return the normal form of a Chinese phone number or raise InvalidPhone."""
    text = (raw or "").strip()
    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension = match.group(1)
        text = text[: match.start()]
    digits = re.sub(r"[\s\-()（）.+]", "", text)
    if not digits.isdigit():
        raise InvalidPhone(raw)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11, 12):
            rest = digits[len(prefix) :]
            if _MOBILE.match(rest):
                digits = rest
                break
            if not rest.startswith("0"):
                rest = "0" + rest
            if _LANDLINE.match(rest):
                digits = rest
                break
    if _MOBILE.match(digits) or _SERVICE.match(digits):
        return digits
    if _LANDLINE.match(digits):
        return f"{digits}-{extension}" if extension else digits
    raise InvalidPhone(raw)


def search_key(raw: str) -> str:
    """Digits to search by for a partial number typed by a dispatcher (no validation)."""
    digits = re.sub(r"\D", "", raw or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) > 11:
            return digits[len(prefix) :]
    return digits


def format_phone(normal: str) -> str:
    """Display form: 138 0013 8000, 021-61234567, 0571-8888888 转 12."""
    number, _dash, extension = normal.partition("-")
    if _MOBILE.match(number):
        shown = f"{number[:3]} {number[3:7]} {number[7:]}"
    elif number.startswith(("010", "02")):
        shown = f"{number[:3]}-{number[3:]}"
    elif number.startswith("0"):
        shown = f"{number[:4]}-{number[4:]}"
    else:
        shown = number
    return (
        _("%(number)s 转 %(extension)s") % {"number": shown, "extension": extension} if extension else shown
    )
