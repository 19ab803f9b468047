"""Forms turn raw input into domain values (parts by code, quantities); the services do the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.bounds import BoundedDateField, BoundedMonthField, DatePicker, quantity_field
from parts.models import Backorder, OldPart, Part, Requisition, Supplier, SupplierClaim, Warehouse


class PartCodeField(forms.CharField):
    """A catalogue part typed by its code (the page offers a datalist of codes)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label", _("配件编号"))
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"list": "part-codes", "autocomplete": "off"})

    def clean(self, value):
        code = super().clean(value).strip()
        if not code:
            return None
        part = Part.objects.filter(code__iexact=code, is_active=True).first()
        if part is None:
            raise forms.ValidationError(_("配件编号 %(code)s 不在配件目录中。") % {"code": code})
        return part


class PartLineForm(forms.Form):
    part = PartCodeField(required=False)
    quantity = quantity_field(required=False)

    def clean(self):
        data = super().clean()
        if data.get("part") and not data.get("quantity"):
            self.add_error("quantity", _("请填写数量。"))
        if data.get("quantity") and not data.get("part") and "part" not in self.errors:
            self.add_error("part", _("请填写配件编号。"))
        return data


class ReceiptLineForm(PartLineForm):
    unit_cost = forms.DecimalField(
        label=_("单价(元)"), min_value=0, max_digits=10, decimal_places=2, required=False
    )


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data.get("part")]

    def clean(self):
        super().clean()
        if not any(self.errors) and not self.lines():
            raise forms.ValidationError(_("请至少填写一行配件。"))


ReceiptLineFormSet = forms.formset_factory(ReceiptLineForm, formset=BaseLineFormSet, extra=5, max_num=50)
RequisitionLineFormSet = forms.formset_factory(PartLineForm, formset=BaseLineFormSet, extra=3, max_num=20)


class ReceivingNoteForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("入库仓库"), queryset=Warehouse.objects.none())
    supplier = forms.ModelChoiceField(label=_("供货单位"), queryset=Supplier.objects.all(), required=False)
    delivery_reference = forms.CharField(label=_("送货单/票据号"), max_length=60, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, warehouses, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class RequisitionForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("发料仓库"), queryset=Warehouse.objects.none())
    reason = forms.CharField(
        label=_("处理意见"),
        max_length=200,
        error_messages={"required": _("请填写处理意见(为什么需要这些配件)。")},
    )

    def __init__(self, *args, warehouses, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))])
    note = forms.CharField(label=_("审批意见"), max_length=200, required=False)


class RequisitionFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部")), ("to_issue", _("待发料(已批准或部分发放)"))] + Requisition.State.choices,
        required=False,
    )
    q = forms.CharField(label=_("单号/工单号"), required=False)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)


class AdjustmentForm(forms.Form):
    part = PartCodeField()
    counted = quantity_field(label=_("实盘数量"), min_value=0)
    reason = forms.CharField(
        label=_("调整原因"), max_length=200, error_messages={"required": _("盘点调整必须填写原因。")}
    )


class ReceiveOldPartForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("入库仓库"), queryset=Warehouse.objects.none())

    def __init__(self, *args, warehouses, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class DisposeForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("处理方式"),
        choices=[(OldPart.State.SCRAPPED, _("报废")), (OldPart.State.RETURNED, _("退供应商"))],
    )
    note = forms.CharField(label=_("处理说明"), max_length=200, required=False)


class MonthForm(forms.Form):
    month = BoundedMonthField(label=_("月份"), required=False)


class ResolveUsageForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("出库仓库"), queryset=Warehouse.objects.none(), required=False)
    part = PartCodeField(required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, warehouses, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class ClaimForm(forms.Form):
    supplier = forms.ModelChoiceField(label=_("供应商"), queryset=Supplier.objects.all())
    old_parts = forms.ModelMultipleChoiceField(
        label=_("旧件"), queryset=OldPart.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    labour_cost = forms.DecimalField(
        label=_("工时费(元)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    shipping_cost = forms.DecimalField(
        label=_("运费(元)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, old_parts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_parts"].queryset = old_parts
        self.fields["old_parts"].label_from_instance = lambda op: (
            f"{op.part} × {op.quantity} · {op.usage.ticket.number} · {op.part.supplier if op.part else ''}"
        )


class ClaimStepForm(forms.Form):
    amount = forms.DecimalField(
        label=_("索回金额(元)"), min_value=0, max_digits=12, decimal_places=2, required=False
    )


class PostageForm(forms.Form):
    description = forms.CharField(label=_("发运内容"), max_length=200)
    carrier = forms.CharField(label=_("承运方"), max_length=60)
    tracking_number = forms.CharField(label=_("运单号"), max_length=60, required=False)
    amount = forms.DecimalField(label=_("邮费/运费(元)"), min_value=0.01, max_digits=10, decimal_places=2)
    shipped_on = BoundedDateField(label=_("发运日期"), widget=DatePicker())
    ticket_number = forms.CharField(label=_("工单号"), max_length=24, required=False)


class BackorderForm(forms.Form):
    customer_phone = forms.CharField(label=_("客户电话"), max_length=24)
    part = PartCodeField()
    quantity = quantity_field()
    ticket_number = forms.CharField(label=_("工单号"), max_length=24, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class BackorderStepForm(forms.Form):
    expected_on = BoundedDateField(label=_("确认到货日期"), required=False, widget=DatePicker())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件(xlsx 或 csv)"))


class HandoverStartForm(forms.Form):
    reason = forms.CharField(label=_("移交原因"), max_length=200, initial=_("离职"))


class ClaimFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部"))] + SupplierClaim.State.choices, required=False
    )


class BackorderFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("未结"))] + Backorder.State.choices, required=False
    )
