"""The ticket's webhook events (notifications.webhooks): their payload, built by the serializer that also
documents it in the OpenAPI schema, and the transitions that emit them."""

from __future__ import annotations

from rest_framework import serializers

from notifications.models import EventType
from notifications.services import emit_event
from notifications.webhook_schema import PayloadSerializer, event_callback
from notifications.webhooks import site_url
from tickets.models import RepairTicket

# The transitions an outside system hears about (tickets.services.apply_transition).
TRANSITION_EVENTS = {
    "dispatch": EventType.TICKET_DISPATCHED,
    "complete_visit": EventType.TICKET_COMPLETED,
    "finish_factory_repair": EventType.TICKET_COMPLETED,
    "accept": EventType.TICKET_ACCEPTED,
    "follow_up": EventType.TICKET_CLOSED,
}


class TicketPayloadSerializer(PayloadSerializer):
    """The ticket as it is after the change, in every ticket.* event."""

    branch = serializers.CharField(source="branch.code", help_text="The branch's code.")
    customer_name = serializers.CharField(source="customer.name")
    serial_number = serializers.CharField(source="unit.serial_number")
    product_model = serializers.CharField(source="unit.product_model.name")
    technician_name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The ticket's page.")
    transition = serializers.SerializerMethodField(
        help_text="What happened: log_call, or the transition (complete_visit and finish_factory_repair "
        "are both ticket.completed)."
    )

    class Meta:
        model = RepairTicket
        fields = [
            "id",
            "number",
            "url",
            "transition",
            "branch",
            "state",
            "channel",
            "priority",
            "fault_category",
            "fault_description",
            "service_category",
            "customer",
            "customer_name",
            "unit",
            "serial_number",
            "product_model",
            "technician",
            "technician_name",
            "reported_at",
            "dispatched_at",
            "completed_at",
            "accepted_at",
            "closed_at",
            "work_summary",
        ]

    def get_technician_name(self, ticket: RepairTicket) -> str | None:
        return str(ticket.technician) if ticket.technician_id else None

    def get_url(self, ticket: RepairTicket) -> str:
        return site_url(ticket.get_absolute_url())

    def get_transition(self, ticket: RepairTicket) -> str:
        return self.context["transition"]


def emit_ticket_event(ticket: RepairTicket, transition: str) -> None:
    """Inside the transition's transaction: the event for `log_call` or a transition that has one."""
    event_type = EventType.TICKET_LOGGED if transition == "log_call" else TRANSITION_EVENTS.get(transition)
    if event_type is not None:
        emit_event(
            event_type, lambda: TicketPayloadSerializer(ticket, context={"transition": transition}).data
        )


CALLBACKS = {
    event_type: event_callback(event_type, TicketPayloadSerializer(), what=what)
    for event_type, what in (
        (EventType.TICKET_LOGGED, "A call was logged (desk, API or the customer's channel)."),
        (EventType.TICKET_DISPATCHED, "Dispatched (or reassigned)."),
        (
            EventType.TICKET_COMPLETED,
            "The visit was completed, or the factory repair finished (`transition` says which).",
        ),
        (EventType.TICKET_ACCEPTED, "The customer accepted the work."),
        (EventType.TICKET_CLOSED, "Closed after the follow-up call."),
    )
}
LOGGED_CALLBACKS = [CALLBACKS[EventType.TICKET_LOGGED]]
TRANSITION_CALLBACKS = [CALLBACKS[event_type] for event_type in dict.fromkeys(TRANSITION_EVENTS.values())]
