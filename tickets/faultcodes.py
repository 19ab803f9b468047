"""The fault code library (故障代码库, issue #18 item 6): per product model, a code with its symptom,
likely cause, usual parts and labour hours.

Intake and the service report pick a code (the ticket keeps it, `RepairTicket.fault_code`); the report's
parts and labour hours are proposed from it, and the quality analytics (reports.quality) group by it.
The library is kept in the admin and imported from a spreadsheet (tickets.resources, django-import-export).

Imported by `tickets.models`, so Django registers the model in the `tickets` app.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.faultcode_rules import UsualPart, parts_from_json

MAX_LABOUR_HOURS = 999  # the report's own bound (tickets.report_services._check_values)


class FaultCodeQuerySet(models.QuerySet):
    def for_model(self, product_model_id: int | None) -> FaultCodeQuerySet:
        """The active codes of one product model, in code order (what intake and the report offer)."""
        return self.filter(product_model_id=product_model_id, is_active=True).order_by("code")

    def matching(self, text: str) -> FaultCodeQuerySet:
        """Search as you type: the code's start, or a word of the symptom."""
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(code__istartswith=text) | Q(symptom__icontains=text))


class FaultCode(models.Model):
    product_model = models.ForeignKey(
        "customers.ProductModel",
        verbose_name=_("产品型号"),
        on_delete=models.PROTECT,
        related_name="fault_codes",
    )
    code = models.CharField(_("故障代码"), max_length=20)
    symptom = models.CharField(_("故障现象"), max_length=200)
    likely_cause = models.CharField(_("可能原因"), max_length=200, blank=True)
    # [{"code", "name", "quantity"}, ...] (tickets.faultcode_rules.UsualPart.as_dict): free-text part
    # identities like the report's part lines, since tickets sits below the parts app.
    usual_parts = models.JSONField(_("常用配件"), default=list, blank=True)
    labour_hours = models.DecimalField(
        _("标准工时(小时)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_LABOUR_HOURS)],
    )
    is_active = models.BooleanField(_("启用"), default=True)

    objects = FaultCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("故障代码")
        verbose_name_plural = _("故障代码")
        ordering = ["product_model", "code"]
        constraints = [
            models.UniqueConstraint(fields=["product_model", "code"], name="tickets_faultcode_unique_code"),
            models.CheckConstraint(
                condition=Q(labour_hours__isnull=True)
                | (Q(labour_hours__gte=0) & Q(labour_hours__lte=MAX_LABOUR_HOURS)),
                name="tickets_faultcode_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.symptom}"

    @property
    def parts(self) -> tuple[UsualPart, ...]:
        return parts_from_json(self.usual_parts)
