from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the trail is append-only (the database refuses changes on PostgreSQL); the admins'
    screen 审计日志 (audit:log) has the same rows with the export for auditors."""

    list_display = [
        "at",
        "actor_name",
        "ip_address",
        "verb_label",
        "verb",
        "object_type",
        "object_id",
        "object_label",
    ]
    list_filter = ["verb", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_name", "object_label", "object_id", "verb"]
    date_hierarchy = "at"
    list_select_related = False
    show_full_result_count = False
    fields = list_display + ["actor", "details"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
