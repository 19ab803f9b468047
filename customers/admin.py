from django.contrib import admin

from customers.models import Customer, CustomerChange, CustomerPhone, ProductModel, Unit
from customers.services import save_customer


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

    def save_model(self, request, obj, form, change) -> None:
        save_customer(obj, changed_fields=form.changed_data if change else ())


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
