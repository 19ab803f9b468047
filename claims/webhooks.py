"""The claim's webhook event (notifications.webhooks): `claim.approved`, once the last level approved."""

from __future__ import annotations

from rest_framework import serializers

from claims.models import Claim
from notifications.models import EventType
from notifications.services import emit_event
from notifications.webhook_schema import PayloadSerializer, event_callback
from notifications.webhooks import site_url


class ClaimPayloadSerializer(PayloadSerializer):
    """The approved claim (amount in yuan, as a decimal string)."""

    branch = serializers.CharField(source="branch.code", help_text="The branch's code.")
    ticket_number = serializers.CharField(source="ticket.number")
    url = serializers.SerializerMethodField(help_text="The claim's page.")

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "url",
            "branch",
            "ticket",
            "ticket_number",
            "kind",
            "amount",
            "is_large",
            "reason",
            "status",
            "submitted_at",
            "decided_at",
        ]

    def get_url(self, claim: Claim) -> str:
        return site_url(claim.get_absolute_url())


def emit_claim_approved(claim: Claim) -> None:
    emit_event(EventType.CLAIM_APPROVED, lambda: ClaimPayloadSerializer(claim).data)


CALLBACKS = [
    event_callback(
        EventType.CLAIM_APPROVED,
        ClaimPayloadSerializer(),
        what="The claim's last approval level approved it.",
    )
]
