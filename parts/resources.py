"""Import and export of the catalogue and of stock counts (django-import-export, xlsx and csv).

Both imports are all or nothing: a dry run lists every wrong row with its number and field, and a
file with any wrong row imports nothing. A stock count never writes `on_hand` itself: each counted
difference becomes an adjustment movement in the ledger, with the file name as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tablib
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from aftersales.bounds import MAX_QUANTITY
from aftersales.exports import CSV, XLSX
from aftersales.uploads import read_import_file
from customers.models import ProductModel
from parts import services
from parts.models import Condition, Part, StockLevel, Supplier, Warehouse

FORMATS = {"xlsx": XLSX(), "csv": CSV()}


class MoneyWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            amount = super().clean(value, row, **kwargs)
        except (ArithmeticError, ValueError) as exc:
            raise ValueError(_("“%(value)s”不是有效的金额。") % {"value": value}) from exc
        if amount is not None and amount < 0:
            raise ValueError(_("金额不能为负数。"))
        return amount


class ModelCodesWidget(widgets.ManyToManyWidget):
    """Product model codes separated by commas; an unknown code is an error of its cell."""

    def clean(self, value, row=None, **kwargs):
        codes = [code.strip() for code in str(value or "").split(self.separator) if code.strip()]
        found = super().clean(value, row, **kwargs)
        unknown = sorted(set(codes) - {model.code for model in found})
        if unknown:
            raise ValueError(_("产品型号 %(codes)s 不存在。") % {"codes": ", ".join(unknown)})
        return found


class SupplierCodeWidget(widgets.ForeignKeyWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except Supplier.DoesNotExist as exc:
            raise ValueError(_("供应商代码 %(code)s 不存在。") % {"code": value}) from exc


class PartResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name=gettext_lazy("配件编号"))
    name = fields.Field(attribute="name", column_name=gettext_lazy("配件名称"))
    specification = fields.Field(attribute="specification", column_name=gettext_lazy("规格型号"))
    unit = fields.Field(attribute="unit", column_name=gettext_lazy("单位"))
    compatible_models = fields.Field(
        attribute="compatible_models",
        column_name=gettext_lazy("适用产品型号"),
        widget=ModelCodesWidget(ProductModel, field="code", separator=","),
    )
    cost = fields.Field(attribute="cost", column_name=gettext_lazy("成本价"), widget=MoneyWidget())
    market_price = fields.Field(
        attribute="market_price", column_name=gettext_lazy("市场价"), widget=MoneyWidget()
    )
    supplier = fields.Field(
        attribute="supplier",
        column_name=gettext_lazy("供应商代码"),
        widget=SupplierCodeWidget(Supplier, field="code"),
    )

    class Meta:
        model = Part
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "specification",
            "unit",
            "compatible_models",
            "cost",
            "market_price",
            "supplier",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True

    def get_queryset(self):
        return Part.objects.select_related("supplier").prefetch_related("compatible_models").order_by("code")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def load_dataset(uploaded) -> tablib.Dataset:
    """Read an uploaded xlsx or csv file into a dataset (first row = headers); the content must be what
    the name says (aftersales.uploads.read_import_file), else UploadRefused with the reason."""
    fmt, content = read_import_file(uploaded)
    return FORMATS[fmt].create_dataset(content)


def _missing_columns(dataset: tablib.Dataset, required) -> RowError | None:
    """A file without the columns that name its rows (a csv without its header line, another sheet)."""
    missing = [str(header) for header in required if str(header) not in (dataset.headers or [])]
    return RowError(0, ", ".join(missing), _("缺少列。")) if missing else None


def import_catalogue(dataset: tablib.Dataset, *, dry_run: bool) -> ImportReport:
    """Run the catalogue import; rolled back entirely when any row is wrong (or on a dry run)."""
    resource = PartResource()
    missing = _missing_columns(dataset, [resource.fields[name].column_name for name in ("code", "name")])
    if missing:
        return ImportReport(errors=[missing], total=len(dataset))
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        raise_errors=False,
    )
    report = ImportReport(total=len(dataset))
    labels = {name: str(f.column_name) for name, f in resource.fields.items()}
    for invalid in result.invalid_rows:
        for name, messages in invalid.error_dict.items():
            for message in messages:
                report.errors.append(RowError(invalid.number, labels.get(name, name), message))
    for error in result.base_errors:  # the file as a whole (not one row) could not be imported
        report.errors.append(RowError(0, "", str(error.error)))
    for number, errors in result.row_errors():
        for error in errors:
            report.errors.append(RowError(number, "", str(error.error)))
    for number, row in enumerate(result.rows, start=1):
        report.rows.append({"row": number, "type": row.import_type})
    report.errors.sort(key=lambda error: error.row)
    return report


def export_catalogue(*, with_cost: bool) -> tablib.Dataset:
    """The catalogue, without the cost price column unless `with_cost` (parts.permissions)."""
    resource = PartResource()
    return resource.export(
        export_fields=[name for name in resource.get_export_order() if with_cost or name != "cost"]
    )


# --- stock counts ------------------------------------------------------------------------------------

COUNT_HEADERS = (
    gettext_lazy("仓库代码"),
    gettext_lazy("配件编号"),
    gettext_lazy("配件名称"),
    gettext_lazy("账面数量"),
    gettext_lazy("实盘数量"),
)


def export_counts(warehouse: Warehouse) -> tablib.Dataset:
    """A count sheet: every catalogue part with its book quantity and an empty 实盘数量 column."""
    levels = dict(
        StockLevel.objects.filter(warehouse=warehouse, condition=Condition.GOOD).values_list(
            "part_id", "on_hand"
        )
    )
    dataset = tablib.Dataset(headers=[str(h) for h in COUNT_HEADERS])
    for part in Part.objects.active().order_by("code"):
        dataset.append([warehouse.code, part.code, part.name, levels.get(part.pk, 0), ""])
    return dataset


def import_counts(dataset: tablib.Dataset, *, user, reason: str, dry_run: bool) -> ImportReport:
    """Check every row; only when all are right (and not a dry run) book the differences."""
    headers = [str(h) for h in COUNT_HEADERS]
    report = ImportReport(total=len(dataset))
    missing = _missing_columns(dataset, [headers[0], headers[1], headers[4]])
    if missing:
        report.errors.append(missing)
        return report
    warehouses = {w.code: w for w in services.keeper_warehouses(user)}
    parts = {p.code: p for p in Part.objects.all()}
    planned = []
    for number, row in enumerate(dataset.dict, start=1):
        warehouse = warehouses.get(str(row[headers[0]] or "").strip())
        part = parts.get(str(row[headers[1]] or "").strip())
        raw = str(row[headers[4]] if row[headers[4]] is not None else "").strip()
        if warehouse is None:
            report.errors.append(
                RowError(
                    number, headers[0], _("仓库 %(code)s 不存在或不由您管理。") % {"code": row[headers[0]]}
                )
            )
        if part is None:
            report.errors.append(
                RowError(
                    number, headers[1], _("配件编号 %(code)s 不在配件目录中。") % {"code": row[headers[1]]}
                )
            )
        if raw == "":
            continue  # not counted: the row is skipped
        try:
            counted = int(float(raw))
            if counted < 0 or counted != float(raw):
                raise ValueError
        except (ValueError, OverflowError):  # OverflowError: "1e999" is an infinite float
            report.errors.append(RowError(number, headers[4], _("实盘数量必须是不小于 0 的整数。")))
            continue
        if counted > MAX_QUANTITY:
            report.errors.append(
                RowError(number, headers[4], _("实盘数量不能超过 %(limit)s。") % {"limit": MAX_QUANTITY})
            )
            continue
        if warehouse and part:
            planned.append((number, warehouse, part, counted))
    if report.errors:
        return report
    book = {
        (level.warehouse_id, level.part_id): level.on_hand
        for level in StockLevel.objects.filter(
            condition=Condition.GOOD, warehouse__in=list(warehouses.values())
        )
    }
    for number, warehouse, part, counted in planned:
        on_hand = book.get((warehouse.pk, part.pk), 0)
        report.rows.append(
            {
                "row": number,
                "warehouse": warehouse.code,
                "part": part,
                "on_hand": on_hand,
                "counted": counted,
                "difference": counted - on_hand,
            }
        )
    if not dry_run:
        with transaction.atomic():
            for _number, warehouse, part, counted in planned:
                services.adjust_stock(
                    user=user, warehouse=warehouse, part=part, counted=counted, reason=reason
                )
    return report
