from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ProductModel, Unit
from customers.phones import InvalidPhone, normalize_phone


class PhoneField(forms.CharField):
    """A Chinese phone number, cleaned to its normal form (customers.phones)."""

    default_error_messages = {"invalid": _("请输入有效的手机号(11 位)或带区号的座机号,如 021-61234567。")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalize_phone(value)
        except InvalidPhone as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class NewCustomerForm(forms.ModelForm):
    phone = PhoneField(label=_("联系电话"), max_length=30)

    class Meta:
        model = Customer
        fields = ["name", "kind", "phone", "contact_person", "address", "service_zone", "distance_km"]


class NewUnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = [
            "product_model",
            "serial_number",
            "purchase_date",
            "purchase_place",
            "sales_channel",
            "warranty_card_no",
        ]
        widgets = {"purchase_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = ProductModel.objects.filter(is_active=True)
        self.fields["serial_number"].error_messages["unique"] = _("序列号已登记,请在上方搜索并选择该产品。")

    def clean_serial_number(self) -> str:
        return self.cleaned_data["serial_number"].strip().upper()

    def clean_purchase_date(self):
        purchase_date = self.cleaned_data.get("purchase_date")
        if purchase_date and purchase_date > timezone.localdate():
            raise forms.ValidationError(_("购买日期不能晚于报修日期。"))
        return purchase_date
