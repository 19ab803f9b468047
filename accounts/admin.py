from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.calendars import unconfirmed_years_ahead
from accounts.models import (
    ApiToken,
    Branch,
    BranchWorkingHours,
    CalendarException,
    CalendarYear,
    DocumentSequence,
    IdempotencyRecord,
    Role,
    TechnicianLeave,
    TechnicianProfile,
    TechnicianSkill,
    User,
    Weekday,
)
from accounts.signals import deactivation_refusals
from aftersales.categories import ServiceZone


class WorkingHoursFormSet(BaseInlineFormSet):
    """Periods of the same weekday must not overlap (checked across the rows being saved together)."""

    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[tuple]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if (
                not data
                or data.get("DELETE")
                or not all(data.get(k) is not None for k in ("weekday", "start", "end"))
            ):
                continue
            by_day.setdefault(data["weekday"], []).append((data["start"], data["end"]))
        for weekday, periods in by_day.items():
            periods.sort()
            for (_start, end), (next_start, _next_end) in zip(periods, periods[1:], strict=False):
                if next_start < end:
                    raise ValidationError(
                        _("%(weekday)s 的工作时段有重叠") % {"weekday": Weekday(weekday).label}
                    )


class BranchWorkingHoursInline(admin.TabularInline):
    model = BranchWorkingHours
    formset = WorkingHoursFormSet
    extra = 0
    fields = ["weekday", "start", "end"]


class CalendarWarningMixin:
    """Warn on the changelist when this or next year's holidays are unknown (chinese-calendar knows a
    year only once its release includes the State Council's notice, usually in November or December)."""

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        for year in unconfirmed_years_ahead(today):
            messages.warning(
                request,
                _(
                    "%(year)s 年的法定节假日和调休尚未确认:该年的工作时限只按星期和已录入的节假日计算。"
                    "请在“节假日与调休”中录入该年的放假和调休上班日,然后在“已确认的日历年度”中确认该年。"
                )
                % {"year": year},
            )
        return super().changelist_view(request, extra_context)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "address"]
    inlines = [BranchWorkingHoursInline]


class UserChangeForm(BaseUserAdmin.form):
    def clean_is_active(self) -> bool:
        """No deactivation while tickets, van stock, requisitions or old parts are still on the user
        (移交, seed §6): the parts app's handover screen transfers them first (it answers
        `accounts.signals.deactivation_requested`)."""
        is_active = self.cleaned_data.get("is_active")
        if self.instance.pk and self.instance.is_active and not is_active:
            refusals = deactivation_refusals(self.instance)
            if refusals:
                raise ValidationError(refusals)
        return is_active


class TechnicianProfileForm(forms.ModelForm):
    zones_served = forms.MultipleChoiceField(
        label=_("服务区域"), choices=ServiceZone.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    working_weekdays = forms.TypedMultipleChoiceField(
        label=_("工作日"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = TechnicianProfile
        fields = ["home_zone", "zones_served", "working_weekdays", "daily_capacity"]


class TechnicianProfileInline(admin.StackedInline):
    model = TechnicianProfile
    form = TechnicianProfileForm
    can_delete = False
    extra = 0
    max_num = 1


class TechnicianSkillInline(admin.TabularInline):
    model = TechnicianSkill
    extra = 0
    fields = ["category", "certificate", "valid_until"]


class TechnicianLeaveInline(admin.TabularInline):
    model = TechnicianLeave
    extra = 0
    fields = ["starts_on", "ends_on", "reason"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = ["username", "last_name", "first_name", "branch", "is_active", "is_staff"]
    list_filter = ["branch", "groups", "is_active", "is_staff", "source"]
    search_fields = ["username", "first_name", "last_name", "phone", "email", "wecom_userid"]
    list_select_related = ["branch"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("网点"), {"fields": ("branch", "phone")}),
        (_("单点登录"), {"fields": ("source", "wecom_userid", "sessions_ended_at")}),
    )
    readonly_fields = ["source", "sessions_ended_at"]
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("网点"), {"fields": ("branch", "phone")}))
    # A technician's dispatch facts (issue #18): zones and days, skills, leave; on a technician's page only
    # (give the user the technician role and save first).
    inlines = [TechnicianProfileInline, TechnicianSkillInline, TechnicianLeaveInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.has_role(Role.TECHNICIAN) else []

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.end_access()


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Read-only: which write a key made and what a resend of it is answered (purged after
    IDEMPOTENCY_KEY_DAYS)."""

    list_display = ["key", "user", "created_at"]
    search_fields = ["key", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by the API only; an admin revokes one by deleting it."""

    list_display = ["prefix", "user", "client", "created_at", "expires_at", "usable"]
    list_filter = ["user__branch"]
    search_fields = ["user__username", "user__last_name", "prefix", "client"]
    list_select_related = ["user"]
    readonly_fields = ["user", "prefix", "client", "created_at", "expires_at"]
    exclude = ["digest", "password_seal"]

    @admin.display(boolean=True, description=_("有效"))
    def usable(self, token: ApiToken) -> bool:
        return token.is_usable

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(admin.ModelAdmin):
    list_display = ["kind", "branch", "day", "last_value"]
    list_filter = ["kind", "branch"]
    search_fields = ["kind", "branch__code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarException)
class CalendarExceptionAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["date", "kind", "branch", "note"]
    list_filter = ["kind", ("branch", admin.EmptyFieldListFilter), "branch"]
    search_fields = ["note", "branch__code", "branch__name"]
    date_hierarchy = "date"
    list_select_related = ["branch"]
    autocomplete_fields = ["branch"]


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["year", "confirmed_by", "confirmed_at", "note"]
    search_fields = ["year", "note"]
    list_select_related = ["confirmed_by"]
    readonly_fields = ["confirmed_by", "confirmed_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TechnicianLeave)
class TechnicianLeaveAdmin(admin.ModelAdmin):
    """Everyone's leave in one list, so that a supervisor sees who is away this week."""

    list_display = ["technician", "starts_on", "ends_on", "reason"]
    list_filter = ["technician__branch"]
    search_fields = ["technician__username", "technician__last_name", "technician__first_name", "reason"]
    list_select_related = ["technician"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["technician"]
