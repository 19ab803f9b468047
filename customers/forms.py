from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.bounds import DatePicker
from customers.models import Customer, ProductModel, Unit, normal_serial
from customers.phones import InvalidPhone, format_phone, normalize_phone


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


class PhonesField(forms.CharField):
    """Several phone numbers, one per line, each cleaned to its normal form; at least one."""

    widget = forms.Textarea(attrs={"rows": 3})
    default_error_messages = {"required": _("请至少填写一个联系电话。")}

    def to_python(self, value) -> list[str]:
        lines = [line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()]
        numbers: list[str] = []
        for position, line in enumerate(lines, start=1):
            try:
                number = normalize_phone(line)
            except InvalidPhone as exc:
                raise forms.ValidationError(
                    _(
                        "第 %(line)d 行“%(text)s”不是有效的电话:请输入 11 位手机号或带区号的座机号,如 021-61234567。"
                    )
                    % {"line": position, "text": line}
                ) from exc
            if number not in numbers:
                numbers.append(number)
        return numbers

    def prepare_value(self, value):
        return "\n".join(format_phone(number) for number in value) if isinstance(value, list) else value


def check_purchase_date(purchase_date):
    if purchase_date and purchase_date > timezone.localdate():
        raise forms.ValidationError(_("购买日期不能晚于报修日期。"))
    return purchase_date


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
        widgets = {"purchase_date": DatePicker()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = ProductModel.objects.filter(is_active=True)
        self.fields["serial_number"].error_messages["unique"] = _("序列号已登记,请在上方搜索并选择该产品。")

    def clean_serial_number(self) -> str:
        return normal_serial(self.cleaned_data["serial_number"])

    def clean_purchase_date(self):
        return check_purchase_date(self.cleaned_data.get("purchase_date"))


class CustomerEditForm(forms.ModelForm):
    phones = PhonesField(label=_("联系电话"), help_text=_("每行一个号码。"))

    class Meta:
        model = Customer
        fields = [
            "name",
            "kind",
            "phones",
            "contact_person",
            "address",
            "service_zone",
            "distance_km",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class UnitEditForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["purchase_date", "purchase_place", "sales_channel", "dealer", "warranty_card_no"]
        widgets = {"purchase_date": DatePicker()}

    def clean_purchase_date(self):
        return check_purchase_date(self.cleaned_data.get("purchase_date"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("dealer") and cleaned.get("sales_channel") != Unit.SalesChannel.DEALER:
            self.add_error("dealer", _("只有销售渠道为“经销商”时才能填写经销商。"))
        return cleaned
