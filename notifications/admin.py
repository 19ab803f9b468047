from django.contrib import admin

from notifications.models import ChannelPreference, Delivery, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "recipient__username", "key"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    # A sign-in code waiting to be texted is a credential (portal.services.request_code).
    exclude = ["secret"]


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "wecom", "sms"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
