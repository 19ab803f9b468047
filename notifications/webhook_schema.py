"""The webhook payloads in the OpenAPI schema: each event as a callback of the API operations that can
emit it (OpenAPI 3.0 has no top-level webhooks; 3.1 would change every nullable in the schema)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiCallback, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from notifications.models import EventType

# Not a runtime expression: the receiver's URL is the one registered in the admin.
ENDPOINT_URL = "https://erp.example.com/your-registered-endpoint"

DESCRIPTION = (
    "Sent to every active endpoint subscribed to `{type}` (registered by an administrator), after the "
    "change was committed, and retried with back-off until the receiver answers 2xx. Headers: "
    "`X-Aftersales-Event: {type}`, `X-Aftersales-Event-Id` (the envelope's `id`: the same on every "
    "retry and replay, de-duplicate on it) and `X-Aftersales-Signature: t=<unix time>,v1=<hex>` where "
    "`v1` is HMAC-SHA256 with the endpoint's secret over `<t>.<raw body>` (docs/webhooks.md). {what}"
)


class PayloadSerializer(serializers.ModelSerializer):
    """A webhook payload: every field is always sent. The schema shows it as the receiver's request body,
    so its fields are documented as required and not read-only (they are only ever read here)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.read_only, field.required = False, True
        return fields


def event_callback(event_type: EventType, data: serializers.Serializer, *, what: str) -> OpenApiCallback:
    """The callback for one event type: the envelope around `data` (the serializer that also builds the
    payload, so the schema and what is sent cannot drift apart)."""
    name = "".join(part.capitalize() for part in event_type.value.split(".")) + "Webhook"
    envelope = inline_serializer(
        name=name,
        fields={
            "id": serializers.UUIDField(help_text="The event's id: stable across retries and replays."),
            "type": serializers.ChoiceField(choices=[event_type.value]),
            "created_at": serializers.DateTimeField(),
            "data": data,
        },
    )
    return OpenApiCallback(
        name=event_type.value,
        path=ENDPOINT_URL,
        decorator=extend_schema(
            summary=f"The {event_type.value} event",
            description=DESCRIPTION.format(type=event_type.value, what=what),
            request={"application/json": envelope},
            responses={
                200: OpenApiResponse(description="Any 2xx answer: received (the body is kept, truncated)."),
            },
        ),
    )
