from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

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
    fields = list_display + ["actor", "details_readable"]
    readonly_fields = fields

    @admin.display(description=_("详情"))
    def details_readable(self, entry: AuditEntry) -> str:
        """As on the screen: label: value pairs in the reader's language, not the stored JSON."""
        return format_html_join(mark_safe("<br>"), "{}: {}", entry.details_pairs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
