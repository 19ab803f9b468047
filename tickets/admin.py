from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from aftersales.exports import CSV, XLSX
from aftersales.uploads import CheckedImportForm
from tickets.faultcode_rules import format_usual_parts
from tickets.models import (
    ClockPause,
    FaultCode,
    FaultPhoto,
    FaultVideo,
    GoodsRegisterEntry,
    MaintenanceVisit,
    PickupReceipt,
    RepairTag,
    RepairTicket,
    SavedTicketFilter,
    ServiceReport,
    ServiceReportAddendum,
    ServiceReportPart,
    ServiceReportPhoto,
    SlaAlert,
    SlaPolicy,
    TicketDeadline,
    TicketEvent,
    TicketHelper,
)
from tickets.resources import FaultCodeResource
from tickets.services import refresh_search_text


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "from_state", "to_state", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TicketDeadlineInline(admin.TabularInline):
    model = TicketDeadline
    extra = 0
    can_delete = False
    readonly_fields = ["milestone", "target_hours", "basis", "started_at", "due_at", "met_at", "in_time"]
    fields = [*readonly_fields, "alert_level"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ClockPauseInline(admin.TabularInline):
    model = ClockPause
    extra = 0
    can_delete = False
    readonly_fields = ["reason", "note", "paused_at", "paused_by", "resumed_at", "resumed_by"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """The time limits of DESIGN §5 as data; a change applies to tickets logged afterwards."""

    list_display = [
        "name",
        "order",
        "is_active",
        "branch",
        "fault_category",
        "service_zone",
        "contact_hours",
        "arrival_hours",
        "resolution_hours",
    ]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "branch", "fault_category", "service_zone", "channel", "priority"]
    search_fields = ["name", "seed_reference"]


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ["deadline", "level", "created_at"]
    list_filter = ["level"]
    search_fields = ["deadline__ticket__number"]
    raw_id_fields = ["deadline"]
    date_hierarchy = "created_at"


@admin.register(RepairTicket)
class RepairTicketAdmin(admin.ModelAdmin):
    """Read-mostly: state changes go through the ticket pages so that history is written."""

    list_display = ["number", "state", "branch", "customer", "technician", "fault_category", "due_at"]
    list_filter = ["state", "branch", "fault_category", "service_category", "channel"]
    search_fields = ["number", "customer__name", "unit__serial_number", "customer__phones__number"]
    list_select_related = ["branch", "customer", "technician"]
    readonly_fields = ["number", "state", "version", "warranty_decision", "reported_at"]
    raw_id_fields = ["customer", "unit", "technician", "reported_by"]
    date_hierarchy = "reported_at"
    inlines = [TicketEventInline, TicketDeadlineInline, ClockPauseInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # Its customer, unit or fault description may have changed: the list's search finds what it shows.
        refresh_search_text(RepairTicket.objects.filter(pk=obj.pk))


@admin.register(TicketHelper)
class TicketHelperAdmin(admin.ModelAdmin):
    """The helpers of two-person jobs; set at dispatch (tickets.services), so read here."""

    list_display = ["ticket", "technician", "added_at"]
    search_fields = ["ticket__number", "technician__username"]
    list_select_related = ["ticket", "technician"]
    raw_id_fields = ["ticket", "technician"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """Append-only history: visible, never edited."""

    list_display = ["ticket", "at", "actor", "action", "from_state", "to_state"]
    list_filter = ["action", "to_state"]
    search_fields = ["ticket__number", "note"]
    list_select_related = ["ticket", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Signed reports and the goods register are records: visible in the admin, written by the services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.StackedInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ServiceReportPartInline(ReadOnlyInline):
    model = ServiceReportPart


class ServiceReportPhotoInline(ReadOnlyInline):
    model = ServiceReportPhoto


class ServiceReportAddendumInline(ReadOnlyInline):
    model = ServiceReportAddendum


class PickupReceiptInline(ReadOnlyInline):
    model = PickupReceipt


class RepairTagInline(ReadOnlyInline):
    model = RepairTag


@admin.register(ServiceReport)
class ServiceReportAdmin(ReadOnlyAdmin):
    inlines = [ServiceReportPartInline, ServiceReportPhotoInline, ServiceReportAddendumInline]
    list_display = ["ticket", "visit", "technician", "signer_name", "signed_at"]
    list_select_related = ["ticket", "technician"]
    search_fields = ["ticket__number", "signer_name"]


@admin.register(GoodsRegisterEntry)
class GoodsRegisterEntryAdmin(ReadOnlyAdmin):
    inlines = [PickupReceiptInline, RepairTagInline]
    list_display = ["number", "branch", "ticket", "item_description", "in_at", "out_at", "out_kind"]
    list_filter = ["branch", "out_kind"]
    list_select_related = ["branch", "ticket"]
    search_fields = ["number", "ticket__number", "tracking_number"]


@admin.register(SavedTicketFilter)
class SavedTicketFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query", "created_at"]
    search_fields = ["name", "user__username"]
    list_select_related = ["user"]


@admin.register(FaultPhoto, FaultVideo)
class FaultMediaAdmin(ReadOnlyAdmin):
    """What the customer sent with a fault report (the portal): read only, found by the ticket."""

    list_display = ["ticket", "uploaded_at"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket"]


@admin.register(FaultCode)
class FaultCodeAdmin(ImportExportModelAdmin):
    """The fault code library, imported from and exported to a spreadsheet (tickets.resources)."""

    resource_classes = [FaultCodeResource]
    import_form_class = CheckedImportForm
    import_formats = export_formats = [CSV, XLSX]
    list_display = [
        "code",
        "product_model",
        "symptom",
        "likely_cause",
        "parts_text",
        "labour_hours",
        "is_active",
    ]
    list_filter = ["is_active", "product_model"]
    search_fields = ["code", "symptom", "likely_cause", "product_model__code"]
    list_select_related = ["product_model"]

    @admin.display(description=FaultCode._meta.get_field("usual_parts").verbose_name)
    def parts_text(self, obj: FaultCode) -> str:
        return format_usual_parts(obj.usual_parts)


@admin.register(MaintenanceVisit)
class MaintenanceVisitAdmin(admin.ModelAdmin):
    """Generated by the daily task from the contracts' plans (tickets.maintenance_services); shown here."""

    list_display = ["planned_date", "contract", "unit", "ticket"]
    list_filter = ["planned_date"]
    search_fields = ["contract__number", "unit__serial_number", "ticket__number"]
    list_select_related = ["contract", "unit", "ticket"]
    raw_id_fields = ["contract", "unit", "ticket"]
    readonly_fields = ["created_at"]
