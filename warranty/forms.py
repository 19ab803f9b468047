"""Forms over warranty data: the conditions as choices, and the policy as the admin edits it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warranty.models import WarrantyPolicy
from warranty.rules import ALL_CONDITIONS, condition_label


def condition_choices() -> list[tuple[str, str]]:
    """Every condition the rules know, by code, with its name in the active language."""
    return [(code, condition_label(code)) for code in sorted(ALL_CONDITIONS)]


class ConditionsField(forms.MultipleChoiceField):
    """A JSON list of condition codes, edited as checkboxes and stored in the rules' (sorted) order."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=condition_choices, required=False, **kwargs)

    def clean(self, value) -> list[str]:
        return sorted(super().clean(value))


def _bounded_integer(name: str, *, min_value: int = 0, max_value: int = 3650) -> forms.IntegerField:
    """The model's number field with both ends bounded (days, months or counts of a policy)."""
    model_field = WarrantyPolicy._meta.get_field(name)
    return forms.IntegerField(
        label=model_field.verbose_name,
        help_text=model_field.help_text,
        required=not model_field.blank,
        min_value=min_value,
        max_value=max_value,
    )


class WarrantyPolicyAdminForm(forms.ModelForm):
    """Exclusions as checkboxes of the known conditions, not raw JSON where a typo goes unseen; every
    number bounded at both ends."""

    no_reason_return_amount = _bounded_integer("no_reason_return_amount")
    refund_amount = _bounded_integer("refund_amount")
    replace_amount = _bounded_integer("replace_amount")
    free_repair_amount = _bounded_integer("free_repair_amount")
    repeat_extension_amount = _bounded_integer("repeat_extension_amount")
    # 0 passes the field so that the rules say why it is wrong (WarrantyPolicy.clean).
    failed_repairs_for_choice = _bounded_integer("failed_repairs_for_choice", max_value=100)

    exclusions = ConditionsField(label=_("排除退换货的情形"))
    exclusions_without_fault_only = ConditionsField(
        label=_("仅在无质量问题时排除退换货的情形"), help_text=_("须为上一项的子集")
    )

    class Meta:
        model = WarrantyPolicy
        fields = "__all__"  # noqa: DJ007 - the admin form shows every field of the policy
        # but its version: read-only, raised by the admin on every save (warranty.admin).
        exclude = ["version"]  # noqa: DJ006
