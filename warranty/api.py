from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from warranty import rules
from warranty.models import WarrantyPolicy
from warranty.serializers import DECISION_RESPONSE

DATE_FORMAT = ["%Y-%m-%d"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "a quality fault",
            value={
                "policy": "manufacturer",
                "purchase_date": "2026-03-15",
                "report_date": "2026-10-12",
                "fault": "quality",
            },
            request_only=True,
        )
    ]
)
class WarrantyCheckSerializer(serializers.Serializer):
    policy = serializers.SlugField(max_length=40)
    purchase_date = serializers.DateField(input_formats=DATE_FORMAT)
    report_date = serializers.DateField(input_formats=DATE_FORMAT)
    fault = serializers.ChoiceField(choices=[fault.value for fault in rules.Fault])
    conditions = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list
    )
    prior_repairs_same_fault = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=1000
    )

    default_error_messages = {"unknown_policy": _("没有代码为“%(slug)s”的保修政策。")}

    def validate_policy(self, slug: str) -> rules.PolicyTerms:
        policy = WarrantyPolicy.objects.filter(slug=slug).first()
        if policy is None:
            raise serializers.ValidationError(self.error_messages["unknown_policy"] % {"slug": slug})
        return policy.to_terms()

    def validate(self, attrs: dict) -> dict:
        request = rules.WarrantyRequest(
            purchase_date=attrs["purchase_date"],
            report_date=attrs["report_date"],
            fault=rules.Fault(attrs["fault"]),
            conditions=frozenset(attrs["conditions"]),
            prior_repairs_same_fault=attrs["prior_repairs_same_fault"],
        )
        errors = rules.validate(attrs["policy"], request)
        if errors:
            raise serializers.ValidationError({field: [message] for field, message in errors.items()})
        attrs["request"] = request
        return attrs


@extend_schema(request=WarrantyCheckSerializer, responses={200: DECISION_RESPONSE})
@api_view(["POST"])
def warranty_check(request: Request) -> Response:
    """What the warranty gives for a purchase date, report date, fault and conditions."""
    serializer = WarrantyCheckSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return Response(rules.evaluate(data["policy"], data["request"]).as_dict())
