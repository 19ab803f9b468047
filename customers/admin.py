from django.contrib import admin

from customers.models import Customer, CustomerChange, CustomerPhone, ImportBatch, ProductModel, Unit
from customers.services import file_changed


class CustomerPhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "branch", "service_zone", "distance_km", "created_at"]
    list_filter = ["kind", "service_zone", "branch"]
    search_fields = ["name", "address", "phones__number"]
    list_select_related = ["branch"]
    inlines = [CustomerPhoneInline]

    def save_related(self, request, form, formsets, change) -> None:
        """After the phones (an inline, saved after the customer): the open tickets' deadlines and the
        ticket list's search follow the edit, as after an edit on the customer page (file_changed)."""
        super().save_related(request, form, formsets, change)
        if change:
            phones = ["phones"] if any(formset.has_changed() for formset in formsets) else []
            file_changed(form.instance, changed_fields=[*form.changed_data, *phones])


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "warranty_policy", "is_active"]
    list_filter = ["category", "warranty_policy", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "product_model", "owner", "purchase_date", "sales_channel"]
    list_filter = ["sales_channel", "product_model"]
    search_fields = ["serial_number", "owner__name", "warranty_card_no"]
    list_select_related = ["product_model", "owner"]
    raw_id_fields = ["owner"]
    date_hierarchy = "purchase_date"

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change:
            file_changed(obj, changed_fields=form.changed_data)  # a new serial: the tickets' search


@admin.register(CustomerChange)
class CustomerChangeAdmin(admin.ModelAdmin):
    """Read-only: the history of edits made on the customer pages."""

    list_display = ["customer", "unit", "actor", "at"]
    search_fields = ["customer__name", "unit__serial_number", "actor__username"]
    list_select_related = ["customer", "unit", "actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only: the call books imported (tickets.callbook); importing and undoing happen on its pages."""

    list_display = ["pk", "file_name", "state", "rows_total", "created_by", "created_at", "undone_at"]
    list_filter = ["state"]
    search_fields = ["file_name", "created_by__username"]
    list_select_related = ["created_by"]
    exclude = ["content"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
