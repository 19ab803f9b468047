from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, DocumentSequence, User


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "address"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "branch", "is_active", "is_staff"]
    list_filter = ["branch", "groups", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "phone", "email"]
    list_select_related = ["branch"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("网点"), {"fields": ("branch", "phone")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("网点"), {"fields": ("branch", "phone")}))


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(admin.ModelAdmin):
    list_display = ["kind", "branch", "day", "last_value"]
    list_filter = ["kind", "branch"]
    search_fields = ["kind", "branch__code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
