"""API shapes of warranty decisions, shared by the warranty and ticket APIs."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from warranty import rules

DECISION_RESPONSE = inline_serializer(
    "WarrantyDecision",
    {
        "remedy": serializers.ChoiceField(choices=[remedy.value for remedy in rules.Remedy]),
        "eligible": serializers.ListField(child=serializers.CharField()),
        "payer": serializers.ChoiceField(choices=[payer.value for payer in rules.Payer], allow_null=True),
        "warranty_end": serializers.DateField(allow_null=True),
        # Each reason: a stable code, its text in the request's language, and the parameters the text is
        # made from (warranty.rules.reason_text).
        "reasons": serializers.ListField(
            child=inline_serializer(
                "WarrantyReason",
                {
                    "code": serializers.CharField(),
                    "text": serializers.CharField(),
                    "params": serializers.DictField(),
                },
            )
        ),
        "policy": serializers.CharField(),
        "policy_version": serializers.IntegerField(),
    },
)
