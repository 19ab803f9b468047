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
        "reasons": serializers.ListField(child=serializers.DictField(child=serializers.CharField())),
        "policy": serializers.CharField(),
        "policy_version": serializers.IntegerField(),
    },
)
