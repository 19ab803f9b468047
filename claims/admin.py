from django.contrib import admin

from claims.models import (
    ApprovalLevel,
    ApprovalRule,
    Claim,
    ClaimApproval,
    ClaimAttachment,
    FeeHandover,
    FeeQuote,
    WriteOff,
)


class ApprovalLevelInline(admin.TabularInline):
    model = ApprovalLevel
    extra = 1


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    """Routing as data (§2-一-2): the threshold and levels of a branch, or the default rule."""

    list_display = ["__str__", "threshold"]
    search_fields = ["branch__code", "branch__name"]
    inlines = [ApprovalLevelInline]


class ClaimApprovalInline(admin.TabularInline):
    model = ClaimApproval
    extra = 0
    can_delete = False
    readonly_fields = ["level", "role", "approver", "decision", "note", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ClaimAttachmentInline(admin.TabularInline):
    model = ClaimAttachment
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "file", "original_name", "sha256", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Read-only: claims change only through the approval services (row lock, trail, write-off)."""

    list_display = ["number", "branch", "ticket", "kind", "amount", "status", "awaiting_role", "submitted_at"]
    list_filter = ["status", "kind", "branch"]
    search_fields = ["number", "ticket__number", "ticket__customer__name"]
    list_select_related = ["branch", "ticket"]
    date_hierarchy = "submitted_at"
    inlines = [ClaimApprovalInline, ClaimAttachmentInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WriteOff)
class WriteOffAdmin(admin.ModelAdmin):
    list_display = ["number", "branch", "claim", "amount", "status", "voucher_number", "booked_at"]
    list_filter = ["status", "branch"]
    search_fields = ["number", "claim__number", "voucher_number"]
    list_select_related = ["branch", "claim"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FeeHandover)
class FeeHandoverAdmin(admin.ModelAdmin):
    list_display = [
        "report",
        "branch",
        "technician",
        "amount",
        "received_at",
        "invoice_number",
        "invoice_date",
    ]
    list_filter = ["branch"]
    search_fields = ["report__ticket__number", "invoice_number", "technician__username"]
    list_select_related = ["report__ticket", "branch", "technician"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FeeQuote)
class FeeQuoteAdmin(admin.ModelAdmin):
    list_display = ["ticket", "amount", "description", "agreed_by", "told_by", "told_at"]
    search_fields = ["ticket__number", "description", "agreed_by"]
    list_select_related = ["ticket", "told_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
