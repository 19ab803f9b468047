from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from aftersales.bounds import BoundedDateField, DatePicker
from aftersales.texts import Text
from aftersales.uploads import UploadRefused, prepare_photo, prepare_video
from customers.models import normal_serial
from portal.windows import VisitWindow
from surveys.services import MAX_CHANNEL_COMPLAINT

MAX_PHOTOS = 3
MAX_DESCRIPTION = 1000


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800138000"}
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images, each checked and shrunk (aftersales.uploads.prepare_photo)."""

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload]
        if len(uploads) > MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传 %(count)s 张照片。") % {"count": MAX_PHOTOS})
        prepared = []
        for upload in uploads:
            super().to_python(upload)  # Django's own checks (an empty file), as on the other pages
            try:
                prepared.append(prepare_photo(upload, field="photos"))
            except UploadRefused as exc:
                raise forms.ValidationError(str(exc)) from exc
        return prepared


class VideoField(forms.FileField):
    """One short video, its type checked by content and its size bounded (aftersales.uploads.prepare_video)."""

    widget = forms.ClearableFileInput(attrs={"accept": "video/*", "capture": "environment"})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return prepare_video(upload, field="video")
        except UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc


class WindowForm(forms.Form):
    """A visit window chosen among the branch's coming working periods (portal.windows)."""

    window = forms.ChoiceField(label=_("希望上门的时间段"), widget=forms.RadioSelect)

    def __init__(self, *args, windows: tuple[VisitWindow, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.windows = {window.value: window for window in windows}
        self.fields["window"].choices = [(window.value, window_label(window)) for window in windows]

    def clean_window(self) -> VisitWindow:
        return self.windows[self.cleaned_data["window"]]


class FaultReportForm(WindowForm):
    field_order = ["fault_description", "photos", "video", "window"]

    fault_description = forms.CharField(
        label=_("故障描述"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(
            attrs={"rows": 4, "data-max-chars": MAX_DESCRIPTION, "placeholder": _("例如:开机后不制冷,有异响")}
        ),
    )
    photos = PhotosField(label=_("照片(可选,最多3张)"), required=False)
    video = VideoField(label=_("短视频(可选,1段)"), required=False)

    def clean_fault_description(self) -> str:
        text = self.cleaned_data["fault_description"].strip()
        if len(text) < 4:
            raise forms.ValidationError(_("请简单描述故障现象(至少4个字)。"))
        return text


class RescheduleForm(WindowForm):
    """改约: another window for the visit, before a technician is sent."""

    reason = forms.CharField(label=_("改约原因(可选)"), max_length=200, required=False)


# Why the customer cancels: the msgid is the history note's code (aftersales.texts), so each reader of the
# ticket's history sees it in their language.
CANCEL_REASONS = (
    ("fixed", gettext_noop("故障已自行排除")),
    ("not_needed", gettext_noop("不需要维修了")),
    ("later", gettext_noop("时间不合适,以后再报修")),
    ("other", gettext_noop("其他原因")),
)


class CancelForm(forms.Form):
    """取消报修: one-way, so the page asks again before the customer confirms."""

    reason = forms.ChoiceField(
        label=_("取消原因"),
        choices=[(value, _(label)) for value, label in CANCEL_REASONS],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择取消原因。")},
    )
    detail = forms.CharField(label=_("补充说明(可选)"), max_length=200, required=False)

    def note(self) -> Text:
        reason = Text(dict(CANCEL_REASONS)[self.cleaned_data["reason"]])
        detail = self.cleaned_data["detail"].strip()
        if detail:
            return Text(gettext_noop("客户在自助服务中取消报修:%(reason)s(%(detail)s)")) % {
                "reason": reason,
                "detail": detail,
            }
        return Text(gettext_noop("客户在自助服务中取消报修:%(reason)s")) % {"reason": reason}


class ComplaintForm(forms.Form):
    description = forms.CharField(
        label=_("您遇到的问题"),
        max_length=MAX_CHANNEL_COMPLAINT,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "data-max-chars": MAX_CHANNEL_COMPLAINT,
                "placeholder": _("例如:技术员没有按约定时间上门"),
            }
        ),
        error_messages={"required": _("请写下您遇到的问题。")},
    )


WEEKDAYS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


def window_label(window: VisitWindow) -> str:
    start = timezone.localtime(window.start)
    end = timezone.localtime(window.end)
    return f"{start:%m-%d} {WEEKDAYS[start.weekday()]} {start:%H:%M}–{end:%H:%M}"


class InvoiceField(forms.FileField):
    """The invoice's photo, checked and shrunk like the fault photos (aftersales.uploads.prepare_photo)."""

    widget = forms.ClearableFileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
    )

    default_error_messages = {"required": _("请拍下或选择发票照片。")}

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        try:
            return prepare_photo(upload, field="invoice")
        except UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc


class RegistrationForm(forms.Form):
    serial_number = forms.CharField(
        label=_("序列号"),
        max_length=60,
        # data-scan: js/scanner.js adds a button that reads the unit's QR label (or the serial's barcode).
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "data-scan": ""}),
    )
    purchase_date = BoundedDateField(label=_("购买日期"), widget=DatePicker())
    purchase_place = forms.CharField(label=_("购买地点"), max_length=100)
    invoice = InvoiceField(label=_("发票照片"))

    def clean_serial_number(self) -> str:
        return normal_serial(self.cleaned_data["serial_number"])

    def clean_purchase_date(self):
        day = self.cleaned_data["purchase_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("购买日期不能晚于今天。"))
        return day


class ConfirmRegistrationForm(forms.Form):
    purchase_date = BoundedDateField(label=_("发票上的购买日期"), widget=DatePicker())

    def clean_purchase_date(self):
        day = self.cleaned_data["purchase_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("购买日期不能晚于今天。"))
        return day


class RejectRegistrationForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=200)


class LabelsForm(forms.Form):
    serials = forms.CharField(
        label=_("序列号(每行一个)"), max_length=20000, widget=forms.Textarea(attrs={"rows": 12})
    )
