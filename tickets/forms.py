from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Role, User
from aftersales import forms as fields
from aftersales.bounds import (
    EARLIEST_DATE,
    LATEST_DATE,
    VERSION_RANGE,
    BoundedDateField,
    DatePicker,
    quantity_field,
)
from customers.models import Customer, FaultCategory, Unit
from tickets.choices import AppointmentRequester
from tickets.models import TRANSITION_LABELS, Channel, FaultCause, Priority, ServiceReport, State
from tickets.report_services import decode_signature
from tickets.search import too_short
from tickets.services import ETA_CHOICES
from warranty.forms import condition_choices

FAULT_DESCRIPTION_MAX_CHARS = 2000  # the API's limit too (tickets/api.py)
FAULT_CODE_OPTIONS_ID = "fault-code-options"


def fault_code_field() -> forms.CharField:
    """A fault code typed or picked from the library: a text box with a datalist that the server fills
    as the user types (htmx, tickets:fault_code_options); the service checks the code."""
    return forms.CharField(
        label=_("故障代码"),
        max_length=20,
        required=False,
        help_text=_("输入代码或现象关键字选择;故障代码库中没有时留空,只填写故障描述。"),
        widget=forms.TextInput(
            attrs={
                "list": FAULT_CODE_OPTIONS_ID,
                "autocomplete": "off",
                "hx-get": reverse_lazy("tickets:fault_code_options"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{FAULT_CODE_OPTIONS_ID}",
            }
        ),
    )


def offer_fault_codes(field: forms.Field, product_model_id: int | None) -> None:
    """Point the search of a fault code field at one product model (the selected unit's); without one,
    the search reads the new unit's model from the form (`unit-product_model`)."""
    url = reverse("tickets:fault_code_options")
    if product_model_id:
        field.widget.attrs["hx-get"] = f"{url}?product_model={product_model_id}"
    else:
        field.widget.attrs["hx-include"] = "[name='unit-product_model']"


class AppointmentFields(forms.Form):
    """预约时间段 as a day and two times (Asia/Shanghai); all three blank is no window."""

    appointment_date = BoundedDateField(label=_("预约日期"), required=False, widget=DatePicker())
    appointment_start = forms.TimeField(
        label=_("预约开始"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    appointment_end = forms.TimeField(
        label=_("预约结束"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean(self):
        cleaned = super().clean()
        parts = [cleaned.get(name) for name in ("appointment_date", "appointment_start", "appointment_end")]
        cleaned["appointment"] = None
        if not any(parts) and not any(
            self.errors.get(n) for n in ("appointment_date", "appointment_start", "appointment_end")
        ):
            return cleaned
        if not all(parts):
            if not self.errors:
                self.add_error("appointment_date", _("请同时填写预约日期、开始和结束时间。"))
            return cleaned
        day, start, end = parts
        cleaned["appointment"] = (
            timezone.make_aware(datetime.datetime.combine(day, start)),
            timezone.make_aware(datetime.datetime.combine(day, end)),
        )
        return cleaned


class AppointmentForm(AppointmentFields):
    """Set, move or clear a ticket's window (tickets.services.set_appointment)."""

    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    requested_by = forms.ChoiceField(
        label=_("提出方"), choices=AppointmentRequester.choices, initial=AppointmentRequester.CUSTOMER
    )
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class TimelineDropForm(forms.Form):
    """A ticket dropped (or placed with the keyboard) on a technician's hour of the timeline board."""

    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    technician = forms.ModelChoiceField(label=_("技术员"), queryset=User.objects.none())
    day = BoundedDateField(label=_("日期"))
    hour = forms.IntegerField(label=_("时"), min_value=0, max_value=23)
    helpers = forms.ModelMultipleChoiceField(
        label=_("协助技术员"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, technicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = self.fields["helpers"].queryset = technicians

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(self.cleaned_data["day"], datetime.time(self.cleaned_data["hour"]))
        )


class CallForm(AppointmentFields):
    """The call itself (叫修登记, §7-八); customer and unit come from search or the new-customer forms."""

    # The appointment (from AppointmentFields) last: it is agreed once the fault is known.
    field_order = [
        "unit",
        "customer",
        "fault_category",
        "fault_description",
        "fault_cause",
        "conditions",
        "channel",
        "priority",
    ]

    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False, widget=forms.HiddenInput)
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(), required=False, widget=forms.HiddenInput
    )
    fault_category = forms.ChoiceField(
        label=_("故障类别"),
        choices=[("", _("按产品类别")), *FaultCategory.choices],
        required=False,
        help_text=_("不选则按产品的类别;时限规则按故障类别计算。"),
    )
    fault_code = fault_code_field()
    # No max_length: the browser's maxlength would silently cut a pasted text; the page counts
    # (data-max-chars, static/js/app.js) and the server refuses what is too long.
    fault_description = forms.CharField(
        label=_("故障描述"),
        validators=[
            MaxLengthValidator(
                FAULT_DESCRIPTION_MAX_CHARS,
                message=_("故障描述最多 %(limit_value)d 字,现在是 %(show_value)d 字,请精简后再提交。"),
            )
        ],
        widget=forms.Textarea(attrs={"rows": 3, "data-max-chars": FAULT_DESCRIPTION_MAX_CHARS}),
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
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    technician = forms.ModelChoiceField(label=_("技术员"), queryset=User.objects.none(), required=False)
    helpers = forms.ModelMultipleChoiceField(
        label=_("协助技术员"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, technicians=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technicians is not None:
            # The helpers of a two-person job come from the same list as the lead: the branch's technicians
            # (an id of another branch answers like one that does not exist, issue #15 item 8).
            self.fields["technician"].queryset = self.fields["helpers"].queryset = technicians


class DepartForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    eta_minutes = forms.TypedChoiceField(
        label=_("预计多少分钟后到达"),
        coerce=int,
        choices=[(minutes, str(minutes)) for minutes in ETA_CHOICES],
        initial=30,
        error_messages={
            "required": _("请选择预计多久后到达。"),
            "invalid_choice": _("请选择预计多久后到达。"),
        },
    )


class TicketFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("工单号 / 客户 / 电话 / 序列号 / 故障描述"),
                # tickets.search.number_end: three to six digits are the end of a number
                "title": _("三至六位数字按结尾查找:单号后几位(0042)、电话尾号(8000)"),
            }
        ),
    )
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部状态")), ("open", _("未完结")), *State.choices],
        required=False,
        widget=fields.Select,
    )
    branch = fields.ModelChoiceField(
        label=_("网点"), queryset=Branch.objects.none(), required=False, empty_label=_("全部网点")
    )
    technician = fields.ModelChoiceField(
        label=_("技术员"), queryset=User.objects.none(), required=False, empty_label=_("全部技术员")
    )
    category = forms.ChoiceField(
        label=_("故障类别"),
        choices=[("", _("全部类别")), *FaultCategory.choices],
        required=False,
        widget=fields.Select,
    )
    overdue = forms.BooleanField(label=_("仅超期"), required=False)
    # Drill-down from the quality page (reports.quality): hidden, carried along by the list's form.
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False, widget=forms.HiddenInput)
    product_model = forms.IntegerField(required=False, widget=forms.HiddenInput, **VERSION_RANGE)
    batch = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)  # "-": none
    fault_code = forms.RegexField(
        regex=r"^(-|\d{1,9})$", required=False, widget=forms.HiddenInput
    )  # "-": none
    failures = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_month(self):
        text = self.cleaned_data["month"]
        if not text:
            return None
        year, month = int(text[:4]), int(text[5:])
        if not (EARLIEST_DATE.year <= year <= LATEST_DATE.year and 1 <= month <= 12):
            raise forms.ValidationError(_("月份无效。"))
        return (year, month)

    def clean_q(self) -> str:
        query = self.cleaned_data["q"]
        if too_short(query):
            raise forms.ValidationError(
                _("请至少输入两个字再搜索(单个字或数字会找出几乎所有工单)。"), code="too_short"
            )
        return query

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
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
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


class ReportStepForm(forms.ModelForm):
    """One step of the service report; turns the posted text into the values of that step's fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, **VERSION_RANGE)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    previously_disassembled = forms.TypedChoiceField(
        label=_("故障件曾被拆过"),
        choices=[("true", _("是,拆过")), ("false", _("否,未拆过"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("请选择故障件是否曾被拆过。")},
    )
    labour_hours = forms.DecimalField(
        label=_("工时(小时)"),
        min_value=0,
        max_value=999,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.25"}),
        error_messages={"required": _("请填写工时。"), "min_value": _("工时不能为负数。")},
    )
    fee = forms.DecimalField(
        label=_("服务费(元,施工前与客户约定)"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        error_messages={"min_value": _("服务费不能为负数。")},
    )

    class Meta:
        model = ServiceReport
        fields = [
            "customer_account",
            "usage_reading",
            "previously_disassembled",
            "findings",
            "cause",
            "work_done",
            "labour_hours",
            "fee",
            "payment_method",
            "fee_collected",
            "fee_reason",
            "fee_reason_note",
        ]
        widgets = {
            "customer_account": forms.Textarea(attrs={"rows": 4}),
            "findings": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "work_done": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "customer_account": {"required": _("请填写客户反映的情况。")},
            "usage_reading": {"required": _("请填写运行时间、里程或工作小时。")},
            "findings": {"required": _("请填写检查结果。")},
            "cause": {"required": _("请填写故障原因分析。")},
            "work_done": {"required": _("请填写处理措施。")},
        }

    REQUIRED = frozenset(
        {"customer_account", "usage_reading", "previously_disassembled", "findings", "cause", "work_done"}
        | {"labour_hours"}
    )

    def __init__(self, *args, step_fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in (*step_fields, "version", "idempotency_key"):
                del self.fields[name]
            elif name in self.REQUIRED:
                self.fields[name].required = True
        if "previously_disassembled" in self.fields and self.instance.previously_disassembled is not None:
            self.initial["previously_disassembled"] = (
                "true" if self.instance.previously_disassembled else "false"
            )
        self.step_fields = step_fields

    def changes(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.step_fields}
        if "fee" in values and values["fee"] is None:
            values["fee"] = Decimal(0)
        return values


class FaultCodeForm(forms.Form):
    """The report's 查 step: the fault code the check found (the ticket keeps it)."""

    fault_code = fault_code_field()


class ReportPartForm(forms.Form):
    part_code = forms.CharField(label=_("配件编号"), max_length=40, required=False)
    part_name = forms.CharField(
        label=_("配件名称"), max_length=100, error_messages={"required": _("请填写配件名称。")}
    )
    quantity = quantity_field(
        initial=1, error_messages={"min_value": _("配件数量必须大于 0。"), "required": _("请填写配件数量。")}
    )
    # data-scan: js/scanner.js adds a button that reads the serial's barcode or QR label.
    removed_serial = forms.CharField(
        label=_("拆下件序列号"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"data-scan": ""}),
    )
    fitted_serial = forms.CharField(
        label=_("装上件序列号"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"data-scan": ""}),
    )
    old_part_returnable = forms.BooleanField(label=_("保修更换,旧件需返库"), required=False)


class ReportPhotoForm(forms.Form):
    # The service checks type and size and shrinks the image; the widget opens the camera directly.
    photo = forms.FileField(
        label=_("拍照"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        error_messages={"required": _("请拍摄或选择一张照片。")},
    )


class SignatureForm(forms.Form):
    signer_name = forms.CharField(
        label=_("签字客户姓名"), max_length=60, error_messages={"required": _("请填写签字客户的姓名。")}
    )
    # signature_pad's PNG as a data URL, filled in by static/js/report.js.
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    # The report's version the customer read (empty: the report as it is when the post arrives).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, **VERSION_RANGE)

    def clean_signature(self) -> bytes:
        return decode_signature(self.cleaned_data["signature"])


class AddendumForm(SignatureForm):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("补充说明"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写补充说明的内容。")},
    )


class ApproveReturnForm(forms.Form):
    """Approval and goods-in (客户商品进出登记簿) in one step: the item is received when approved."""

    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    note = forms.CharField(
        label=_("审批意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    item_description = forms.CharField(
        label=_("商品"), max_length=200, required=False, help_text=_("留空则为产品型号和序列号。")
    )
    accessories = forms.CharField(label=_("随机附件"), max_length=200, required=False)
    condition = forms.CharField(label=_("外观与状态"), max_length=200, required=False)


class FinishRepairForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    work_done = forms.CharField(
        label=_("维修内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写处理结果。")},
    )
    labour_hours = forms.DecimalField(
        label=_("工时(小时)"),
        min_value=0,
        max_digits=5,
        decimal_places=2,
        error_messages={"required": _("请填写工时。"), "min_value": _("工时不能为负数。")},
    )
    parts_used = forms.CharField(
        label=_("更换配件"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    inspection_note = forms.CharField(
        label=_("主任验收意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写服务主任的验收意见。")},
    )
    inspector = forms.ModelChoiceField(
        label=_("验收人"),
        queryset=User.objects.none(),
        error_messages={"required": _("请选择验收的服务主任。")},
    )

    def __init__(self, *args, branch_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = User.objects.filter(
            Q(branch_id=branch_id) | Q(branch__kind=Branch.Kind.HEADQUARTERS),
            is_active=True,
            groups__name=Role.SUPERVISOR,
        ).order_by("username")


class HandOverForm(SignatureForm):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    signer_name = forms.CharField(
        label=_("领取人姓名"), max_length=60, error_messages={"required": _("请填写领取人姓名。")}
    )


class ShipBackForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, **VERSION_RANGE)
    tracking_number = forms.CharField(
        label=_("运单号"), max_length=40, error_messages={"required": _("寄回客户须填写运单号。")}
    )


class GoodsRegisterFilterForm(forms.Form):
    date_from = BoundedDateField(label=_("入库日期自"), required=False, widget=DatePicker())
    date_to = BoundedDateField(label=_("至"), required=False, widget=DatePicker())
    branch = forms.ModelChoiceField(
        label=_("网点"), queryset=Branch.objects.none(), required=False, empty_label=_("全部网点")
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.sees_all_branches:
            self.fields["branch"].queryset = Branch.objects.filter(is_active=True)
        else:
            del self.fields["branch"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


class BulkActionForm(forms.Form):
    """The ticket list's bulk dispatch / cancel: the ticked rows arrive as `ticket=<id>:<version>`."""

    MAX_TICKETS = 100

    action = forms.ChoiceField(
        label=_("批量操作"),
        choices=[("dispatch", TRANSITION_LABELS["dispatch"]), ("cancel", TRANSITION_LABELS["cancel"])],
        widget=fields.Select,
    )
    technician = fields.ModelChoiceField(
        label=_("技术员"), queryset=User.objects.none(), required=False, empty_label=_("选择技术员")
    )
    note = forms.CharField(label=_("原因"), max_length=2000, required=False)

    def __init__(self, *args, technicians, **kwargs):
        # Its own ids: the filter form above it on the same page has a technician field too, and two
        # id_technician sent the bulk form's label to the filter's select (seen by a helper).
        super().__init__(*args, auto_id="bulk-%s", **kwargs)
        self.fields["technician"].queryset = technicians

    def clean(self):
        cleaned = super().clean()
        versions: dict[int, int] = {}
        for raw in self.data.getlist("ticket") if hasattr(self.data, "getlist") else []:
            ticket_id, _sep, version = raw.partition(":")
            if not (ticket_id.isdigit() and version.isdigit()):
                raise forms.ValidationError(_("提交的内容无效,请刷新页面后重试。"))
            versions[int(ticket_id)] = int(version)
        if not versions:
            raise forms.ValidationError(_("请先在列表中勾选要处理的工单。"))
        if len(versions) > self.MAX_TICKETS:
            raise forms.ValidationError(_("一次最多处理 %(n)d 张工单,请分批操作。") % {"n": self.MAX_TICKETS})
        cleaned["versions"] = versions
        return cleaned
