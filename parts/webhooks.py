"""The parts' webhook event (notifications.webhooks): `part.issued`, each time a warehouse issues parts of a
requisition into a technician's van (a partial issue too: `lines` is what this issue handed over)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.models import EventType
from notifications.services import emit_event
from notifications.webhook_schema import PayloadSerializer, event_callback
from notifications.webhooks import site_url
from parts.models import Requisition, RequisitionLine


class IssuedLinePayloadSerializer(serializers.Serializer):
    part_code = serializers.CharField()
    part_name = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Issued by this issue.")
    issued_total = serializers.IntegerField(help_text="Issued on this line so far.")
    requested = serializers.IntegerField()


class PartIssuedPayloadSerializer(PayloadSerializer):
    """The requisition after the issue, with the lines this issue handed over."""

    requisition = serializers.IntegerField(source="pk")
    url = serializers.SerializerMethodField(help_text="The requisition's page.")
    branch = serializers.CharField(source="branch.code", help_text="The branch's code.")
    ticket_number = serializers.CharField(source="ticket.number")
    technician_name = serializers.CharField(source="technician")
    warehouse = serializers.CharField(source="warehouse.code", help_text="The issuing warehouse's code.")
    issued_at = serializers.SerializerMethodField()
    issued_by = serializers.SerializerMethodField(help_text="The warehouse keeper's user name.")
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Requisition
        fields = [
            "requisition",
            "number",
            "url",
            "branch",
            "ticket",
            "ticket_number",
            "technician",
            "technician_name",
            "warehouse",
            "state",
            "issued_at",
            "issued_by",
            "lines",
        ]

    def get_url(self, requisition: Requisition) -> str:
        return site_url(requisition.get_absolute_url())

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_issued_at(self, requisition: Requisition) -> str:
        return serializers.DateTimeField().to_representation(self.context["at"])

    def get_issued_by(self, requisition: Requisition) -> str:
        return self.context["by"]

    @extend_schema_field(IssuedLinePayloadSerializer(many=True))
    def get_lines(self, requisition: Requisition) -> list[dict]:
        return self.context["lines"]


def emit_parts_issued(
    requisition: Requisition, *, lines: list[tuple[RequisitionLine, int]], issued_by: str
) -> None:
    """Inside the issue's transaction; `lines`: each line issued with the quantity this issue handed over."""
    at = timezone.now()
    emit_event(
        EventType.PART_ISSUED,
        lambda: (
            PartIssuedPayloadSerializer(
                requisition,
                context={
                    "at": at,
                    "by": issued_by,
                    "lines": [
                        {
                            "part_code": line.part.code,
                            "part_name": line.part.name,
                            "quantity": quantity,
                            "issued_total": line.issued,
                            "requested": line.quantity,
                        }
                        for line, quantity in lines
                    ],
                },
            ).data
        ),
    )


CALLBACKS = [
    event_callback(
        EventType.PART_ISSUED,
        PartIssuedPayloadSerializer(),
        what="A warehouse issued parts of a requisition into the technician's van (partial issues too).",
    )
]
