"""Bounds of the numbers and dates people type, shared by every app's forms, serializers and database
constraints (issue #15). The bottom layer: it imports Django, no app.

Without them a quantity of 10**20 reached PostgreSQL's integer columns (a 500), 2**62 passed a stock
count's dry run, and a date filter of 0001-01-01 or 9999-12-31 stepped out of Python's datetime when
the day was turned into its bounds in Asia/Shanghai (a 500, or a CSV broken off mid-stream).
"""

from __future__ import annotations

import datetime

from django import forms
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext_lazy as _

# The most of one part anywhere: on one line (a receipt, a requisition, a service report, a backorder)
# and on hand in one warehouse (a stock level, a counted quantity). Far below PostgreSQL's integer
# (2,147,483,647), so sums and differences of quantities fit the columns.
MAX_QUANTITY = 1_000_000

# Row versions (optimistic locking, hidden in forms, `version` in the API) are PostgreSQL integers.
VERSION_RANGE = {"min_value": 1, "max_value": 2_147_483_647}

# The dates a form or a filter accepts.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2099, 12, 31)


def quantity_field(*, min_value: int = 1, error_messages: dict | None = None, **kwargs) -> forms.IntegerField:
    """A number of parts typed in a form: a whole number from `min_value` to MAX_QUANTITY."""
    kwargs.setdefault("label", _("数量"))
    messages = {
        "required": _("请填写数量。"),
        "min_value": _("数量必须大于 0。") if min_value > 0 else _("数量不能为负数。"),
        "max_value": _("数量不能超过 %(limit_value)s。"),
        **(error_messages or {}),
    }
    return forms.IntegerField(
        min_value=min_value,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages=messages,
        **kwargs,
    )


DATE_RANGE_MESSAGE = _("“%(field)s”必须在 %(first)s 至 %(last)s 之间。")


def check_date_range(field: forms.Field, day: datetime.date | None, shown_as: str = "%Y-%m-%d") -> None:
    """ValidationError naming the field and the range when `day` is outside the accepted dates."""
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise forms.ValidationError(
            DATE_RANGE_MESSAGE,
            code="date_range",
            params={
                "field": field.label or _("日期"),
                "first": EARLIEST_DATE.strftime(shown_as),
                "last": LATEST_DATE.strftime(shown_as),
            },
        )


class BoundedDateField(forms.DateField):
    """A date from EARLIEST_DATE to LATEST_DATE; outside them the error names the field and the range."""

    shown_as = "%Y-%m-%d"

    def validate(self, value) -> None:
        super().validate(value)
        check_date_range(self, value, self.shown_as)


class DatePicker(forms.DateInput):
    """`<input type="date">`. Its value must be ISO (2026-12-10) whatever the language: Django's default is
    the language's first input format (zh-hans: 2026/12/10), which the browser drops, so a form opened
    on a record showed the date blank and saving it lost the date."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class BoundedDateTimeField(forms.DateTimeField):
    """A moment whose date is within the accepted dates."""

    def validate(self, value) -> None:
        super().validate(value)
        check_date_range(self, value.date() if value else None)


class BoundedMonthField(BoundedDateField):
    """A month typed as 2026-10 (`<input type="month">`), cleaned to its first day."""

    shown_as = "%Y-%m"
    input_formats = ["%Y-%m"]
    widget = forms.DateInput(format="%Y-%m", attrs={"type": "month", "placeholder": "2026-10"})
    default_error_messages = {"invalid": _("月份格式应为 年-月,例如 2026-10。")}


def filter_status(form: forms.Form) -> int:
    """A page asked for with a wrong filter shows the error (and its defaults) as a 400."""
    return 400 if form.errors else 200


def bad_filter_response(form: forms.Form) -> HttpResponseBadRequest:
    """A download (CSV, xlsx, PDF) asked for with a wrong filter: 400 with the form's first message."""
    message = next(iter(form.errors.values()))[0]
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
