from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from aftersales.exports import CSV, XLSX
from aftersales.uploads import CheckedImportForm
from parts.models import (
    Backorder,
    Handover,
    HandoverItem,
    OldPart,
    Part,
    PartUsage,
    PostageRecord,
    ReceivingLine,
    ReceivingNote,
    Requisition,
    RequisitionLine,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierClaim,
    Warehouse,
)
from parts.resources import PartResource


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger and documents are written by the services only; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "contact", "phone"]
    search_fields = ["code", "name"]


@admin.register(Part)
class PartAdmin(ImportExportModelAdmin):
    resource_classes = [PartResource]
    import_form_class = CheckedImportForm
    # The formats of the catalogue screens, nothing else, through the app's one spreadsheet writer.
    import_formats = export_formats = [CSV, XLSX]
    list_display = ["code", "name", "specification", "unit", "cost", "market_price", "supplier", "is_active"]
    list_filter = ["is_active", "supplier"]
    search_fields = ["code", "name", "specification"]
    list_select_related = ["supplier"]
    filter_horizontal = ["compatible_models"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "branch", "technician", "is_active"]
    list_filter = ["kind", "branch", "is_active"]
    search_fields = ["code", "name", "technician__username"]
    list_select_related = ["branch", "technician"]
    autocomplete_fields = ["technician"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["warehouse", "part", "condition", "on_hand"]
    list_filter = ["condition", "warehouse__branch", "warehouse__kind"]
    search_fields = ["part__code", "part__name", "warehouse__code"]
    list_select_related = ["warehouse", "part"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "kind",
        "warehouse",
        "part",
        "condition",
        "quantity",
        "balance_after",
        "reference",
        "actor",
    ]
    list_filter = ["kind", "condition", "warehouse__branch"]
    search_fields = ["reference", "part__code", "warehouse__code"]
    list_select_related = ["warehouse", "part", "actor"]
    date_hierarchy = "at"


class ReceivingLineInline(ReadOnlyInline):
    model = ReceivingLine


@admin.register(ReceivingNote)
class ReceivingNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "warehouse", "supplier", "received_by", "received_at"]
    search_fields = ["number", "delivery_reference"]
    list_select_related = ["warehouse", "supplier", "received_by"]
    inlines = [ReceivingLineInline]


class RequisitionLineInline(ReadOnlyInline):
    model = RequisitionLine


@admin.register(Requisition)
class RequisitionAdmin(ReadOnlyAdmin):
    list_display = ["number", "ticket", "requested_by", "technician", "warehouse", "state", "created_at"]
    list_filter = ["state", "branch"]
    search_fields = ["number", "ticket__number"]
    list_select_related = ["ticket", "requested_by", "technician", "warehouse"]
    inlines = [RequisitionLineInline]


@admin.register(PartUsage)
class PartUsageAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "part", "quantity", "warehouse", "status", "written_off_at"]
    list_filter = ["status"]
    search_fields = ["ticket__number", "part__code"]
    list_select_related = ["ticket", "part", "warehouse"]


@admin.register(OldPart)
class OldPartAdmin(ReadOnlyAdmin):
    list_display = ["usage", "part", "quantity", "technician", "state", "received_at", "claim"]
    list_filter = ["state", "branch"]
    search_fields = ["part__code", "removed_serial", "usage__ticket__number"]
    list_select_related = ["usage__ticket", "usage__report_part", "part", "technician", "claim"]


@admin.register(SupplierClaim)
class SupplierClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "supplier",
        "state",
        "parts_cost",
        "labour_cost",
        "shipping_cost",
        "amount_recovered",
    ]
    list_filter = ["state", "supplier"]
    search_fields = ["number", "supplier__name"]
    list_select_related = ["supplier"]


@admin.register(PostageRecord)
class PostageRecordAdmin(ReadOnlyAdmin):
    list_display = ["shipped_on", "description", "amount", "handler", "approved_by"]
    search_fields = ["description", "tracking_number"]
    list_select_related = ["handler", "approved_by"]


@admin.register(Backorder)
class BackorderAdmin(ReadOnlyAdmin):
    list_display = ["customer", "part", "quantity", "state", "last_contacted_at"]
    list_filter = ["state", "branch"]
    search_fields = ["customer__name", "part__code"]
    list_select_related = ["customer", "part"]


class HandoverItemInline(ReadOnlyInline):
    model = HandoverItem


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = ["number", "technician", "signed_by", "signed_at"]
    search_fields = ["number", "technician__username"]
    list_select_related = ["technician", "signed_by"]
    inlines = [HandoverItemInline]
