from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from notifications import webhooks
from notifications.models import (
    ChannelPreference,
    Delivery,
    EventType,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from notifications.services import replay_deliveries


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


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("接收地址"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("订阅的事件"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Administrators register receivers. The secret is made here and shown to them (it signs every
    request; receivers keep a copy to check the signature)."""

    form = WebhookEndpointForm
    list_display = ["name", "url", "active", "event_names", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at"]
    actions = ["rotate_secret"]

    @admin.display(description=_("订阅的事件"))
    def event_names(self, endpoint: WebhookEndpoint) -> str:
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(event, event)) for event in endpoint.events)

    def save_model(self, request, obj: WebhookEndpoint, form, change: bool) -> None:
        if not obj.secret:
            obj.secret = webhooks.new_secret()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("重新生成签名密钥"), permissions=["change"])
    def rotate_secret(self, request, queryset) -> None:
        for endpoint in queryset:
            endpoint.secret = webhooks.new_secret()
            endpoint.save(update_fields=["secret"])
        self.message_user(
            request,
            _("已为 %(count)d 个接收端生成新密钥,请把新密钥告知接收方。") % {"count": len(queryset)},
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the outbox writes: looked at, never edited by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ["endpoint", "status", "response_status", "attempts", "duration_ms", "sent_at", "replay_of"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["type", "event_id", "created_at"]
    list_filter = ["type"]
    search_fields = ["type"]
    date_hierarchy = "created_at"
    fields = ["event_id", "type", "payload", "created_at"]
    readonly_fields = fields
    inlines = [WebhookDeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every delivery with the receiver's answer; the replay action sends chosen events again."""

    list_display = [
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "response_status",
        "attempts",
        "duration_ms",
        "created_at",
        "sent_at",
        "replay_of",
    ]
    list_filter = ["status", "event__type", "endpoint"]
    list_select_related = ["event", "endpoint", "replay_of"]
    search_fields = ["endpoint__name", "event__type"]
    date_hierarchy = "created_at"
    fields = [
        "event",
        "endpoint",
        "replay_of",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "response_body",
        "duration_ms",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["replay"]

    @admin.display(description=_("事件"), ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.get_type_display()

    @admin.display(description=_("事件编号"))
    def event_id(self, delivery: WebhookDelivery) -> str:
        return str(delivery.event.event_id)

    def has_replay_permission(self, request) -> bool:
        """Replaying writes a delivery: for those who may change deliveries, not those who may only look
        (the rows themselves are never edited by hand)."""
        return request.user.has_perm("notifications.change_webhookdelivery")

    @admin.action(description=_("重新发送(相同事件编号与内容,重新签名)"), permissions=["replay"])
    def replay(self, request, queryset) -> None:
        chosen = list(queryset.select_related("endpoint"))
        with transaction.atomic():
            replays = replay_deliveries(chosen)
        self.message_user(request, _("已重新发送 %(count)d 条。") % {"count": len(replays)})
        if len(replays) < len(chosen):
            self.message_user(
                request,
                _("%(count)d 条的接收端已停用,未重新发送。") % {"count": len(chosen) - len(replays)},
                level=messages.WARNING,
            )
