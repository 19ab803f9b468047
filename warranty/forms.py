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


class WarrantyPolicyAdminForm(forms.ModelForm):
    """Exclusions as checkboxes of the known conditions, not raw JSON where a typo goes unseen."""

    exclusions = ConditionsField(label=_("排除退换货的情形"))
    exclusions_without_fault_only = ConditionsField(
        label=_("仅在无质量问题时排除退换货的情形"), help_text=_("须为上一项的子集")
    )

    class Meta:
        model = WarrantyPolicy
        fields = "__all__"  # noqa: DJ007 - the admin form shows every field of the policy
