from django.contrib import admin

from portal.models import ProductRegistration, SignInCode, TicketLink


@admin.register(SignInCode)
class SignInCodeAdmin(admin.ModelAdmin):
    list_display = ["phone", "ip_address", "on_file", "created_at", "attempts", "used_at", "locked_until"]
    search_fields = ["phone"]
    date_hierarchy = "created_at"
    # The digest means nothing to a person; support may only unlock a number (clear `locked_until`).
    exclude = ["code_hash"]
    readonly_fields = ["phone", "ip_address", "on_file", "created_at", "expires_at", "attempts", "used_at"]


@admin.register(TicketLink)
class TicketLinkAdmin(admin.ModelAdmin):
    list_display = ["ticket", "purpose", "created_at", "expires_at", "used_at"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket"]
    exclude = ["token_hash"]
    readonly_fields = ["purpose", "created_at", "used_at"]


@admin.register(ProductRegistration)
class ProductRegistrationAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "customer", "branch", "purchase_date", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["serial_number"]
    raw_id_fields = ["customer", "unit"]
    readonly_fields = ["invoice_sha256", "created_at", "decided_at", "decided_by"]
