from __future__ import annotations

import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Customer, Unit
from tickets.models import FaultCause
from warranty import rules
from warranty.models import WarrantyPolicy
from warranty.services import decide_for_unit

DATE_FORMAT = ["%Y-%m-%d"]


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


@extend_schema(request=WarrantyCheckSerializer, responses={200: DECISION_RESPONSE})
@api_view(["POST"])
def warranty_check(request: Request) -> Response:
    """What the warranty gives for a purchase date, report date, fault and conditions."""
    serializer = WarrantyCheckSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return Response(rules.evaluate(data["policy"], data["request"]).as_dict())


@extend_schema(
    parameters=[
        OpenApiParameter("date", str, description="report date YYYY-MM-DD (default: today, Asia/Shanghai)"),
        OpenApiParameter("fault", str, enum=[f.value for f in rules.Fault], description="default: quality"),
        OpenApiParameter("fault_category", str, description="for counting earlier repairs of the same fault"),
    ],
    responses={200: DECISION_RESPONSE},
)
@api_view(["GET"])
def unit_warranty(request: Request, serial: str) -> Response:
    unit = (
        Unit.objects.select_related("product_model__warranty_policy")
        .filter(serial_number=serial.strip().upper(), owner__in=Customer.objects.visible_to(request.user))
        .first()
    )
    if unit is None:
        raise Http404
    errors = {}
    report_date = timezone.localdate()
    if "date" in request.query_params:
        try:
            report_date = datetime.date.fromisoformat(request.query_params["date"])
        except ValueError:
            errors["date"] = [str(_("日期格式应为 YYYY-MM-DD。"))]
    fault = request.query_params.get("fault", FaultCause.QUALITY)
    if fault not in FaultCause.values:
        errors["fault"] = [str(_("未知的故障原因。"))]
    if errors:
        return Response(errors, status=400)
    try:
        decision = decide_for_unit(
            unit,
            report_date=report_date,
            fault=fault,
            fault_category=request.query_params.get("fault_category", unit.product_model.category),
        )
    except rules.InvalidWarrantyRequest as exc:
        return Response({field: [message] for field, message in exc.errors.items()}, status=400)
    return Response({"serial_number": unit.serial_number, **decision.as_dict()})
