from django.contrib import admin

from reports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Read only: an export is made by its task; the admin looks at what failed and why."""

    list_display = (
        "pk",
        "kind",
        "fmt",
        "user",
        "branch",
        "state",
        "progress_done",
        "progress_total",
        "created_at",
    )
    list_filter = ("state", "kind", "fmt")
    search_fields = ("user__username", "filename", "error")
    readonly_fields = [field.name for field in Export._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
