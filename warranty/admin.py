from django.contrib import admin
from django.db.models import F

from warranty.forms import WarrantyPolicyAdminForm
from warranty.models import MaintenanceContract, WarrantyPolicy


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    form = WarrantyPolicyAdminForm
    list_display = ["slug", "name", "version", "free_repair_amount", "free_repair_unit", "is_builtin"]
    search_fields = ["slug", "name"]
    readonly_fields = ["version"]

    def get_readonly_fields(self, request, obj=None):
        # The slug of a built-in preset is part of the API contract.
        return [*self.readonly_fields, "slug"] if obj and obj.is_builtin else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change and form.changed_data:
            # A new version, so that verdicts stored on tickets keep naming the terms they used.
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])


@admin.register(MaintenanceContract)
class MaintenanceContractAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "unit", "start_date", "end_date"]
    search_fields = ["number", "customer__name", "unit__serial_number"]
    list_select_related = ["customer", "unit"]
    raw_id_fields = ["customer", "unit"]
    date_hierarchy = "end_date"
