"""Follow-up calls and their surveys over the API: the branch's calls (the screens' scope and viewers) and
recording one (the dispatcher of the branch), through `surveys.services.record_call` — the same rules as the
call screen: the first call reached on an accepted ticket carries the survey and closes the ticket."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import idempotent
from aftersales.drf import (
    FIELDS_PARAMETER,
    IDEMPOTENCY_PARAMETER,
    Cursor,
    SparseFieldsMixin,
    object_id,
    ordering_parameter,
)
from surveys import services
from surveys.access import access_call
from surveys.models import FollowUpCall, Outcome, Severity
from surveys.permissions import may_call, may_view_calls
from surveys.scoring import Level


class SurveyAnswersSerializer(serializers.Serializer):
    """The four questions of §7-二十五, each 1 (very dissatisfied) to 4 (very satisfied), and a comment."""

    attitude = serializers.ChoiceField(choices=Level.choices)
    skill = serializers.ChoiceField(choices=Level.choices)
    punctuality = serializers.ChoiceField(choices=Level.choices)
    promises = serializers.ChoiceField(choices=Level.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FollowUpCallSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    branch = serializers.CharField(source="branch.code", read_only=True)
    carries_survey = serializers.SerializerMethodField(
        help_text="This call must record the survey (unless the customer answered by link)."
    )
    survey_answered = serializers.SerializerMethodField()

    class Meta:
        model = FollowUpCall
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "branch",
            "offset",
            "due_on",
            "outcome",
            "attempts",
            "satisfied",
            "problem_found",
            "notes",
            "done_at",
            "carries_survey",
            "survey_answered",
        ]
        read_only_fields = fields

    def get_carries_survey(self, call: FollowUpCall) -> bool:
        return call.outcome == Outcome.PENDING and services.carries_survey(call)

    def get_survey_answered(self, call: FollowUpCall) -> bool:
        survey = getattr(call.ticket, "survey", None)
        return bool(survey and survey.is_answered)


class CallRecordSerializer(serializers.Serializer):
    reached = serializers.BooleanField()
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None)
    problem_found = serializers.BooleanField(required=False, default=False)
    complaint_severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    survey = SurveyAnswersSerializer(required=False, allow_null=True, default=None)


class CallFilterSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)


class FollowUpCallViewSet(viewsets.GenericViewSet):
    serializer_class = FollowUpCallSerializer
    pagination_class = Cursor
    ordering_fields = ("due_on",)
    default_ordering = "due_on"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no user
            return FollowUpCall.objects.none()
        if not may_view_calls(self.request.user):
            raise PermissionDenied(_("您没有查看回访队列的权限。"))
        return FollowUpCall.objects.visible_to(self.request.user).select_related("ticket__survey", "branch")

    @extend_schema(
        parameters=[
            OpenApiParameter("ticket", int, description="the calls of one ticket"),
            OpenApiParameter("outcome", str, enum=Outcome.values),
            ordering_parameter("due_on"),
            FIELDS_PARAMETER,
        ],
        tags=["follow-up"],
    )
    def list(self, request: Request) -> Response:
        query = CallFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        calls = self.get_queryset()
        if "ticket" in filters:
            calls = calls.filter(ticket_id=filters["ticket"])
        if "outcome" in filters:
            calls = calls.filter(outcome=filters["outcome"])
        page = self.paginate_queryset(calls)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER], tags=["follow-up"])
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(
            self.get_serializer(access_call(request.user, object_id(pk), queryset=self.get_queryset())).data
        )

    @extend_schema(
        request=CallRecordSerializer,
        responses={200: FollowUpCallSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        description="Record the call (the branch's dispatcher). Not reached: tried again the next day. "
        "Reached on an accepted ticket: the survey is required (unless answered by link) and the ticket "
        "closes; a problem found opens a complaint.",
        examples=[
            OpenApiExample(
                "reached, with the survey",
                request_only=True,
                value={
                    "reached": True,
                    "satisfied": True,
                    "survey": {"attitude": 4, "skill": 4, "punctuality": 3, "promises": 4},
                },
            )
        ],
        tags=["follow-up"],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def record(self, request: Request, pk=None) -> Response:
        call = access_call(request.user, object_id(pk), queryset=self.get_queryset())
        if not may_call(request.user, call.branch_id):
            raise PermissionDenied(_("只有本网点的客服可以记录回访。"))
        serializer = CallRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        answers = data.pop("survey")
        record = services.CallRecord(
            **data, survey=services.SurveyAnswers(**answers) if answers and data["reached"] else None
        )
        services.record_call(call_id=call.pk, user=request.user, record=record)
        return Response(
            self.get_serializer(access_call(request.user, call.pk, queryset=self.get_queryset())).data
        )
