from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from warranty import rules
from warranty.maintenance_plan import MAX_EVERY_MONTHS, parse_dates, planned_dates

# The terms' own checks (rules.PolicyTerms) as form errors, by the field they concern.
TERMS_ERRORS = {
    "failed_repairs_for_choice": _("“修理几次仍有故障可选退换”至少为 1 次;不适用时请留空。"),
    "exclusions_without_fault_only": _("须为“排除退换货的情形”的子集。"),
}


# The built-in policies' names (migration 0002), in the catalogue: shown in the reader's language while
# an admin has not renamed them. A name typed in the admin is shown as typed.
BUILTIN_NAMES = (
    gettext_noop("厂家保修(§3 产品售后服务流程)"),
    gettext_noop("门店三包(§5 门店售后服务管理制度)"),
    gettext_noop("国家三包(部分商品修理更换退货责任规定)"),
)


def policy_name(name: str) -> str:
    return gettext(name) if name in BUILTIN_NAMES else name


class WarrantyPolicy(models.Model):
    """A warranty policy as data; `to_terms()` hands it to the pure rules engine.

    `version` goes up on every edit and is stored with each verdict, so a later edit never
    rewrites the history of a ticket.
    """

    slug = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(pgettext_lazy("policy", "说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    no_reason_return_amount = models.PositiveIntegerField(_("无理由退货期限"), null=True, blank=True)
    no_reason_return_unit = models.CharField(
        pgettext_lazy("period unit", "单位"),
        max_length=6,
        choices=[(u.value, u.value) for u in rules.PeriodUnit],
        default="days",
    )
    refund_amount = models.PositiveIntegerField(_("质量问题退货期限"), null=True, blank=True)
    refund_unit = models.CharField(
        pgettext_lazy("period unit", "单位"),
        max_length=6,
        choices=[(u.value, u.value) for u in rules.PeriodUnit],
        default="days",
    )
    replace_amount = models.PositiveIntegerField(_("质量问题换货期限"), null=True, blank=True)
    replace_unit = models.CharField(
        pgettext_lazy("period unit", "单位"),
        max_length=6,
        choices=[(u.value, u.value) for u in rules.PeriodUnit],
        default="days",
    )
    free_repair_amount = models.PositiveIntegerField(_("免费保修期"), validators=[MinValueValidator(1)])
    free_repair_unit = models.CharField(
        pgettext_lazy("period unit", "单位"),
        max_length=6,
        choices=[(u.value, u.value) for u in rules.PeriodUnit],
        default="months",
    )
    repeat_extension_amount = models.PositiveIntegerField(_("同一故障重复维修延保"), null=True, blank=True)
    repeat_extension_unit = models.CharField(
        pgettext_lazy("period unit", "单位"),
        max_length=6,
        choices=[(u.value, u.value) for u in rules.PeriodUnit],
        default="months",
    )
    exclusions = models.JSONField(_("排除退换货的情形"), default=list, blank=True)
    exclusions_without_fault_only = models.JSONField(
        _("仅在无质量问题时排除退换货的情形"), default=list, blank=True, help_text=_("须为上一项的子集")
    )
    failed_repairs_for_choice = models.PositiveIntegerField(
        _("修理几次仍有故障可选退换"), null=True, blank=True
    )
    purchase_proof_required = models.BooleanField(_("免费保修需购买日期与地点"), default=False)
    is_builtin = models.BooleanField(_("内置预设"), default=False, editable=False)

    class Meta:
        verbose_name = _("保修政策")
        verbose_name_plural = _("保修政策")
        ordering = ["slug"]
        constraints = [
            # rules.PolicyTerms refuses 0: with it every verdict of the policy would fail.
            models.CheckConstraint(
                condition=Q(failed_repairs_for_choice__isnull=True) | Q(failed_repairs_for_choice__gte=1),
                name="warranty_warrantypolicy_failed_repairs_for_choice_positive",
                violation_error_message=TERMS_ERRORS["failed_repairs_for_choice"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse what the rules engine would refuse, by building the terms it will be given."""
        errors = {}
        unknown = sorted(set(self.exclusions) - rules.ALL_CONDITIONS)
        if unknown:
            errors["exclusions"] = _("未知的情形代码:%(codes)s") % {"codes": ", ".join(unknown)}
        # free_repair_amount is required: without it clean_fields() reports it and there are no terms.
        if self.free_repair_amount is not None:
            try:
                self.to_terms()
            except rules.InvalidPolicyTerms as error:
                errors[error.field] = TERMS_ERRORS[error.field]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _period(amount: int | None, unit: str) -> rules.Period | None:
        return None if amount is None else rules.Period(amount, rules.PeriodUnit(unit))

    def to_terms(self) -> rules.PolicyTerms:
        return rules.PolicyTerms(
            slug=self.slug,
            version=self.version,
            no_reason_return=self._period(self.no_reason_return_amount, self.no_reason_return_unit),
            refund=self._period(self.refund_amount, self.refund_unit),
            replace=self._period(self.replace_amount, self.replace_unit),
            free_repair=rules.Period(self.free_repair_amount, rules.PeriodUnit(self.free_repair_unit)),
            repeat_extension=self._period(self.repeat_extension_amount, self.repeat_extension_unit),
            exclusions=frozenset(self.exclusions),
            failed_repairs_for_choice=self.failed_repairs_for_choice,
            purchase_proof_required=self.purchase_proof_required,
            exclusions_without_fault_only=frozenset(self.exclusions_without_fault_only),
        )


class MaintenanceContractQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> MaintenanceContractQuerySet:
        return self.filter(start_date__lte=day, end_date__gte=day)

    def covering(self, unit, day: datetime.date) -> MaintenanceContractQuerySet:
        """Contracts for this unit, or for all of its owner's units."""
        return self.active_on(day).filter(Q(unit=unit) | Q(unit__isnull=True, customer_id=unit.owner_id))


class MaintenanceContract(models.Model):
    """保养合同 (§7-二十): calls on covered units are contract service (category B)."""

    number = models.CharField(_("合同编号"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts"
    )
    unit = models.ForeignKey(
        "customers.Unit",
        verbose_name=_("产品"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        help_text=_("留空表示该客户名下全部产品"),
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    terms = models.TextField(_("合同条款"), blank=True)
    # The visit plan (warranty.maintenance_plan; issue #18 item 9): every N months and/or listed dates.
    # tickets.maintenance generates the visits ahead as category-B tickets logged by the coordinator.
    visit_every_months = models.PositiveSmallIntegerField(
        _("保养周期(月)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EVERY_MONTHS)],
        help_text=_("每隔几个月上门保养一次(从开始日期起);也可只填“指定保养日期”。"),
    )
    visit_dates = models.JSONField(
        _("指定保养日期"), default=list, blank=True, help_text=_('如 ["2027-03-15", "2027-09-15"]')
    )
    checklist = models.TextField(_("保养检查项"), blank=True, help_text=_("每行一项,印在保养工单上"))
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("保养工单登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("系统提前生成保养工单时,以此人名义登记(通常为该网点的客服/调度)。"),
    )

    objects = MaintenanceContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("保养合同")
        verbose_name_plural = _("保养合同")
        ordering = ["end_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="warranty_maintenancecontract_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(visit_every_months__isnull=True)
                | Q(visit_every_months__gte=1, visit_every_months__lte=MAX_EVERY_MONTHS),
                name="warranty_maintenancecontract_every_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("history:contract", args=[self.pk])

    def clean(self) -> None:
        try:
            days = parse_dates(self.visit_dates or [])
        except (TypeError, ValueError) as exc:
            raise ValidationError({"visit_dates": _("请按 YYYY-MM-DD 填写日期列表。")}) from exc
        if any(
            not self.start_date <= day <= self.end_date for day in days if self.start_date and self.end_date
        ):
            raise ValidationError({"visit_dates": _("指定保养日期须在合同期内。")})
        if (self.visit_every_months or days) and self.coordinator_id is None:
            raise ValidationError({"coordinator": _("有保养计划的合同须指定保养工单登记人。")})

    @property
    def has_plan(self) -> bool:
        return bool(self.visit_every_months or self.visit_dates)

    def planned_dates(self) -> tuple[datetime.date, ...]:
        return planned_dates(
            start=self.start_date,
            end=self.end_date,
            every_months=self.visit_every_months,
            dates=parse_dates(self.visit_dates or []),
        )

    @property
    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]
