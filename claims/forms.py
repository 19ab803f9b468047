from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.bounds import VERSION_RANGE, BoundedDateField, DatePicker
from claims.models import ClaimKind, ClaimStatus, WriteOffStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks their type and size (claims.services)."""

    def clean(self, data, initial=None) -> list:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


class ClaimForm(forms.Form):
    """The claim itself; its files are checked by the service."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)
    kind = forms.ChoiceField(label=_("赔偿类型"), choices=ClaimKind.choices)
    amount = forms.DecimalField(
        label=_("金额(元)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        error_messages={
            "required": _("请填写金额。"),
            "min_value": _("金额必须大于 0 元。"),
            "invalid": _("金额必须是数字,如 1280.00。"),
            "max_decimal_places": _("金额最多两位小数。"),
            "max_digits": _("金额最多两位小数,且不能超过 99 亿元。"),
            "max_whole_digits": _("金额最多两位小数,且不能超过 99 亿元。"),
        },
    )
    reason = forms.CharField(
        label=_("原因"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写清故障、鉴定结果与和客户达成的处理意见"),
        error_messages={"required": _("请填写赔偿原因。")},
    )
    attachments = MultipleFileField(
        label=_("照片和文件"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        help_text=_("JPEG、PNG、WebP 图片或 PDF,每个不超过 10 MB,最多 10 个"),
    )


class FeeQuoteForm(forms.Form):
    amount = forms.DecimalField(
        label=_("告知金额(元)"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        error_messages={
            "required": _("请填写告知金额。"),
            "min_value": _("告知金额必须大于 0 元,最多两位小数。"),
            "invalid": _("金额必须是数字,如 1280.00。"),
            "max_decimal_places": _("金额最多两位小数。"),
            "max_digits": _("告知金额必须大于 0 元,最多两位小数。"),
            "max_whole_digits": _("告知金额必须大于 0 元,最多两位小数。"),
        },
    )
    description = forms.CharField(
        label=_("收费项目"), max_length=200, error_messages={"required": _("请填写收费项目。")}
    )
    agreed_by = forms.CharField(
        label=_("同意收费的客户"), max_length=60, error_messages={"required": _("请填写同意收费的客户姓名。")}
    )


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))])
    note = forms.CharField(
        label=_("审批意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    reason = forms.CharField(label=_("撤回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReassignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    approver = forms.IntegerField(label=_("指定审批人"), required=False, **VERSION_RANGE)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *ClaimStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部类型")), *ClaimKind.choices], required=False
    )
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)


class VoucherForm(forms.Form):
    voucher_number = forms.CharField(
        label=_("记账凭证号"), max_length=40, error_messages={"required": _("请填写记账凭证号。")}
    )


class WriteOffFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *WriteOffStatus.choices], required=False
    )


class InvoiceForm(forms.Form):
    invoice_number = forms.CharField(
        label=_("发票号"), max_length=40, error_messages={"required": _("请填写发票号。")}
    )
    invoice_date = BoundedDateField(
        label=_("开票日期"),
        widget=DatePicker(),
        error_messages={"required": _("请填写开票日期。"), "invalid": _("开票日期格式应为 2026-11-27。")},
    )


class DayForm(forms.Form):
    day = BoundedDateField(
        label=_("日期"),
        required=False,
        widget=DatePicker(),
        error_messages={"invalid": _("日期格式应为 2026-11-27。")},
    )

    def chosen_day(self):
        if self.is_valid() and self.cleaned_data["day"]:
            return self.cleaned_data["day"]
        return timezone.localdate()
