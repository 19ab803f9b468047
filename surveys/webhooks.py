"""The survey's webhook event (notifications.webhooks): `survey.answered`, whoever recorded the answers."""

from __future__ import annotations

from rest_framework import serializers

from notifications.models import EventType
from notifications.services import emit_event
from notifications.webhook_schema import PayloadSerializer, event_callback
from notifications.webhooks import site_url
from surveys.models import Survey


class SurveyPayloadSerializer(PayloadSerializer):
    """The answered survey: each score from 1 (unsatisfied) to 4 (very satisfied)."""

    survey = serializers.IntegerField(source="pk")
    ticket_number = serializers.CharField(source="ticket.number")
    ticket_url = serializers.SerializerMethodField(help_text="The ticket's page.")
    branch = serializers.CharField(source="branch.code", help_text="The branch's code.")
    technician_name = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "survey",
            "ticket",
            "ticket_number",
            "ticket_url",
            "branch",
            "technician",
            "technician_name",
            "attitude",
            "skill",
            "punctuality",
            "promises",
            "comment",
            "answered_via",
            "answered_at",
        ]

    def get_ticket_url(self, survey: Survey) -> str:
        return site_url(survey.ticket.get_absolute_url())

    def get_technician_name(self, survey: Survey) -> str | None:
        return str(survey.technician) if survey.technician_id else None


def emit_survey_answered(survey: Survey) -> None:
    emit_event(EventType.SURVEY_ANSWERED, lambda: SurveyPayloadSerializer(survey).data)


CALLBACKS = [
    event_callback(
        EventType.SURVEY_ANSWERED,
        SurveyPayloadSerializer(),
        what="The customer's satisfaction survey was answered (by an agent on the follow-up call, by link or "
        "in the customer's channel).",
    )
]
