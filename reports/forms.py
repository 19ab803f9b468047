"""Report pickers: month and branch, a day and a technician, a date range. They only turn input into values."""

from __future__ import annotations

import datetime

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Role, User
from aftersales.bounds import BoundedDateField, BoundedMonthField, DatePicker
from reports.periods import Month

MAX_REGISTER_DAYS = 366


def _branch_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("网点"),
        queryset=Branch.objects.filter(is_active=True),
        required=False,
        empty_label=_("全部网点"),
    )


class BranchChoiceMixin:
    """Only headquarters choose a branch; for anyone else the field is not there (their own branch)."""

    def _limit_branch(self, user: User) -> None:
        if not user.sees_all_branches:
            del self.fields["branch"]


class MonthForm(BranchChoiceMixin, forms.Form):
    month = BoundedMonthField(label=_("月份"), required=False)
    branch = _branch_field()

    def __init__(self, data: QueryDict | None = None, *, user: User, default_month: Month, **kwargs):
        # Always bound, with the default month filled in, so that the box shows the month on view.
        data = (data or QueryDict()).copy()
        if not data.get("month"):
            data["month"] = str(default_month)
        super().__init__(data, **kwargs)
        self._limit_branch(user)
        self.default_month = default_month

    def clean_month(self) -> Month:
        first_day = self.cleaned_data["month"]
        return Month(first_day.year, first_day.month) if first_day else self.default_month

    def values(self) -> tuple[Month, Branch | None]:
        """The chosen month and branch; the defaults (the page's month, every branch) when the input is bad."""
        if self.is_valid():
            return self.cleaned_data["month"], self.cleaned_data.get("branch")
        return self.default_month, None


class DayForm(BranchChoiceMixin, forms.Form):
    day = BoundedDateField(label=_("日期"), required=False, widget=DatePicker())
    technician = forms.ModelChoiceField(
        label=_("技术员"), queryset=User.objects.none(), required=False, empty_label=_("请选择技术员")
    )
    branch = _branch_field()

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_branch(user)
        technicians = User.objects.filter(is_active=True, groups__name=Role.TECHNICIAN).order_by(
            "branch__code", "last_name", "first_name", "username"
        )
        if not user.sees_all_branches:
            technicians = technicians.filter(branch_id=user.branch_id)
        self.fields["technician"].queryset = technicians

    def clean_day(self) -> datetime.date:
        return self.cleaned_data["day"] or timezone.localdate()


class DateRangeForm(BranchChoiceMixin, forms.Form):
    date_from = BoundedDateField(label=_("报修日期自"), required=False, widget=DatePicker())
    date_to = BoundedDateField(label=_("至"), required=False, widget=DatePicker())
    branch = _branch_field()

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_branch(user)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["date_to"] = data.get("date_to") or today
        data["date_from"] = data.get("date_from") or data["date_to"].replace(day=1)
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        elif (data["date_to"] - data["date_from"]).days >= MAX_REGISTER_DAYS:
            self.add_error("date_to", _("日期范围不能超过一年。"))
        return data
