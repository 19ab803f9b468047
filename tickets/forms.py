from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Role, User
from customers.models import Customer, FaultCategory, Unit
from tickets.models import Channel, FaultCause, Priority, State
from warranty.rules import ALL_CONDITIONS, condition_label


def condition_choices() -> list[tuple[str, str]]:
    return [(code, condition_label(code)) for code in sorted(ALL_CONDITIONS)]


class CallForm(forms.Form):
    """The call itself (叫修登记, §7-八); customer and unit come from search or the new-customer forms."""

    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False, widget=forms.HiddenInput)
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(), required=False, widget=forms.HiddenInput
    )
    fault_category = forms.ChoiceField(label=_("故障类别"), choices=FaultCategory.choices)
    fault_description = forms.CharField(
        label=_("故障描述"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写客户描述的故障现象。")},
    )
    fault_cause = forms.ChoiceField(
        label=_("故障原因(初判)"), choices=FaultCause.choices, initial=FaultCause.QUALITY
    )
    conditions = forms.MultipleChoiceField(
        label=_("附加情形"),
        choices=condition_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.ChoiceField(label=_("报修方式"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices, initial=Priority.NORMAL)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        customers = Customer.objects.visible_to(user)
        self.fields["customer"].queryset = customers
        self.fields["unit"].queryset = Unit.objects.filter(owner__in=customers).select_related(
            "owner", "product_model__warranty_policy"
        )


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    technician = forms.ModelChoiceField(label=_("技术员"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, technicians=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technicians is not None:
            self.fields["technician"].queryset = technicians


class TicketFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("工单号 / 电话 / 序列号")}),
    )
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), ("open", _("未完结")), *State.choices], required=False
    )
    branch = forms.ModelChoiceField(
        label=_("网点"), queryset=Branch.objects.none(), required=False, empty_label=_("全部网点")
    )
    technician = forms.ModelChoiceField(
        label=_("技术员"), queryset=User.objects.none(), required=False, empty_label=_("全部技术员")
    )
    category = forms.ChoiceField(
        label=_("故障类别"), choices=[("", _("全部类别")), *FaultCategory.choices], required=False
    )
    overdue = forms.BooleanField(label=_("仅超期"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.sees_all_branches:
            self.fields["branch"].queryset = Branch.objects.filter(is_active=True)
        else:
            del self.fields["branch"]
        technicians = User.objects.filter(groups__name=Role.TECHNICIAN, is_active=True)
        if not user.sees_all_branches:
            technicians = technicians.filter(Q(branch_id=user.branch_id))
        self.fields["technician"].queryset = technicians.order_by("username")


class ReviseFaultForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    fault_cause = forms.ChoiceField(label=_("故障原因"), choices=FaultCause.choices)
    conditions = forms.MultipleChoiceField(
        label=_("附加情形"), choices=condition_choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("依据"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请说明修改故障原因的依据。")},
    )

    def __init__(self, *args, policy_conditions: frozenset[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conditions"].choices = [
            (code, label) for code, label in condition_choices() if code in policy_conditions
        ]
