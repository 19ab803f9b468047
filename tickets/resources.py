"""Import and export of the fault code library (django-import-export, xlsx and csv, in the admin).

One row per product model and code; a row whose model and code exist updates that code. The usual
parts are one cell (tickets.faultcode_rules: `编号:名称×数量; …`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from customers.models import ProductModel
from tickets.faultcode_rules import UsualPartsError, format_usual_parts, parse_usual_parts
from tickets.faultcodes import FaultCode


class ProductModelCodeWidget(widgets.ForeignKeyWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ProductModel.DoesNotExist as exc:
            raise ValueError(_("产品型号 %(codes)s 不存在。") % {"codes": value}) from exc


class UsualPartsWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return [part.as_dict() for part in parse_usual_parts(str(value or ""))]
        except UsualPartsError as exc:
            raise ValueError(
                _("常用配件“%(item)s”无法识别,请写成 编号:名称×数量,多个用分号隔开。") % {"item": exc}
            ) from exc

    def render(self, value, obj=None, **kwargs):
        return format_usual_parts(value or [])


class FaultCodeResource(resources.ModelResource):
    product_model = fields.Field(
        attribute="product_model",
        column_name=gettext_lazy("产品型号"),
        widget=ProductModelCodeWidget(ProductModel, field="code"),
    )
    code = fields.Field(attribute="code", column_name=gettext_lazy("故障代码"))
    symptom = fields.Field(attribute="symptom", column_name=gettext_lazy("故障现象"))
    likely_cause = fields.Field(attribute="likely_cause", column_name=gettext_lazy("可能原因"))
    usual_parts = fields.Field(
        attribute="usual_parts", column_name=gettext_lazy("常用配件"), widget=UsualPartsWidget()
    )
    labour_hours = fields.Field(
        attribute="labour_hours", column_name=gettext_lazy("标准工时(小时)"), widget=widgets.DecimalWidget()
    )

    class Meta:
        model = FaultCode
        import_id_fields = ("product_model", "code")
        fields = ("product_model", "code", "symptom", "likely_cause", "usual_parts", "labour_hours")
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True

    def get_queryset(self):
        return FaultCode.objects.select_related("product_model").order_by("product_model__code", "code")
