from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User
from aftersales.bounds import BoundedDateTimeField
from surveys.models import STAFF_SOURCES, AnswerChannel, ComplaintState, Severity
from surveys.scoring import QUESTIONS, Level
from surveys.services import CallRecord, ComplaintDetails, SurveyAnswers

YES_NO = [(True, _("是")), (False, _("否"))]


def _yes_no(label, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        required=required,
        empty_value=None,
    )


class SurveyForm(forms.Form):
    """The four questions of §7-二十五 (four levels each) and a comment."""

    comment = forms.CharField(
        label=_("意见或建议"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        questions = {
            name: forms.TypedChoiceField(
                label=label,
                choices=Level.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择“%(question)s”的满意程度。") % {"question": label}},
            )
            for name, label in QUESTIONS
        }
        self.fields = {**questions, "comment": self.fields["comment"]}

    def answers(self) -> SurveyAnswers:
        return SurveyAnswers(**self.cleaned_data)

    def question_fields(self):
        return [self[name] for name, _label in QUESTIONS]


class CallForm(forms.Form):
    """One screen for one call: reached? satisfied? a problem (→ complaint)? notes."""

    reached = _yes_no(_("是否接通"), required=True)
    satisfied = _yes_no(_("客户是否满意"), required=False)
    problem_found = forms.BooleanField(label=_("发现问题,登记投诉"), required=False)
    complaint_severity = forms.ChoiceField(
        label=_("投诉严重程度"), choices=Severity.choices, initial=Severity.GENERAL, required=False
    )
    notes = forms.CharField(
        label=_("回访记录"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def record(self, survey: SurveyAnswers | None) -> CallRecord:
        data = self.cleaned_data
        return CallRecord(
            reached=data["reached"],
            satisfied=data["satisfied"],
            problem_found=data["problem_found"],
            notes=data["notes"],
            survey=survey,
            complaint_severity=data["complaint_severity"] or Severity.GENERAL,
        )


class LinkForm(forms.Form):
    send_sms = forms.BooleanField(label=_("短信发送给客户"), required=False)


class ComplaintForm(forms.Form):
    source = forms.ChoiceField(label=_("来源"), choices=STAFF_SOURCES)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.GENERAL)
    service_at_fault = forms.BooleanField(label=_("服务责任(计入投诉率)"), required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=24, required=False)
    description = forms.CharField(label=_("投诉内容"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user: User, has_ticket: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if has_ticket:
            self.fields["contact_name"].help_text = _("留空则使用工单客户")
        else:
            self.fields["contact_name"].required = True
        if user.sees_all_branches and not has_ticket:
            self.fields["branch"] = forms.ModelChoiceField(
                label=_("网点"),
                queryset=Branch.objects.filter(is_active=True).exclude(kind=Branch.Kind.HEADQUARTERS),
            )

    def details(self) -> ComplaintDetails:
        data = self.cleaned_data
        return ComplaintDetails(
            source=data["source"],
            description=data["description"],
            severity=data["severity"],
            service_at_fault=data["service_at_fault"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
        )


class PlanForm(forms.Form):
    plan = forms.CharField(label=_("处理方案"), widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    service_at_fault = forms.BooleanField(label=_("服务责任(计入投诉率)"), required=False)


class VisitForm(forms.Form):
    visited_by = forms.ModelChoiceField(label=_("走访人"), queryset=User.objects.none())
    visited_at = BoundedDateTimeField(
        label=_("走访时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    notes = forms.CharField(label=_("走访记录"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, branch_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The supervisor personally or someone they send (§7-二十八): any active user of the branch.
        self.fields["visited_by"].queryset = User.objects.filter(
            is_active=True, branch_id=branch_id
        ).order_by("username")
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class AnswerForm(forms.Form):
    answer_channel = forms.ChoiceField(
        label=_("答复方式"), choices=AnswerChannel.choices, widget=forms.RadioSelect
    )
    answer_text = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 3}))


class ComplaintFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("编号/联系人/电话/工单号")}),
    )
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部")), ("open", _("未关闭")), *ComplaintState.choices],
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("严重程度"), choices=[("", _("全部")), *Severity.choices], required=False
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user.sees_all_branches:
            self.fields["branch"] = forms.ModelChoiceField(
                label=_("网点"),
                queryset=Branch.objects.exclude(kind=Branch.Kind.HEADQUARTERS),
                required=False,
                empty_label=_("全部"),
            )
