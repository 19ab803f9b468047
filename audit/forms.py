"""The audit screen's filters: they only turn input into values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from aftersales.bounds import BoundedDateField, DatePicker
from audit.areas import AREAS


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("操作人"), queryset=User.objects.order_by("username"), required=False, empty_label=_("全部")
    )
    area = forms.ChoiceField(label=_("类别"), required=False)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象编号"), max_length=64, required=False)
    date_from = BoundedDateField(
        label=pgettext_lazy("date filter", "开始日期"), required=False, widget=DatePicker()
    )
    date_to = BoundedDateField(
        label=pgettext_lazy("date filter", "结束日期"), required=False, widget=DatePicker()
    )

    def __init__(self, *args, object_types: list, **kwargs) -> None:
        """`object_types`: the grouped choices of audit.selectors.object_type_choices."""
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("全部")), *AREAS.items()]
        self.fields["object_type"].choices = [("", _("全部")), *object_types]

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data

    def filters(self) -> dict:
        """The keyword arguments of `audit.selectors.audit_entries` (call after is_valid)."""
        data = self.cleaned_data
        return {
            "actor": data.get("user"),
            "area": data.get("area", ""),
            "object_type": data.get("object_type", ""),
            "object_id": data.get("object_id", "").strip(),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
