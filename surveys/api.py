"""Follow-up calls and their surveys over the API: the branch's calls (the screens' scope and viewers) and
recording one (the dispatcher of the branch), through `surveys.services.record_call` — the same rules as the
call screen: the first call reached on an accepted ticket carries the survey and closes the ticket."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import idempotent
from accounts.models import Branch, User
from aftersales.bounds import VERSION_RANGE
from aftersales.drf import (
    FIELDS_PARAMETER,
    IF_MATCH_PARAMETER,
    BodyFirstMixin,
    Cursor,
    RequiredBooleanField,
    SparseFieldsMixin,
    etag,
    if_match_version,
    object_id,
    ordering_parameter,
)
from notifications.models import EventType
from surveys import services, webhooks
from surveys.access import access_call, access_complaint
from surveys.models import (
    STAFF_SOURCES,
    AnswerChannel,
    Complaint,
    ComplaintSource,
    ComplaintState,
    FollowUpCall,
    Outcome,
    Severity,
    Survey,
)
from surveys.permissions import (
    COMPLAINT_ACTORS,
    may_act_on_complaint,
    may_call,
    may_view_calls,
    may_view_complaints,
)
from surveys.scoring import QUESTION_FIELDS as SURVEY_QUESTIONS
from surveys.scoring import Level
from tickets import webhooks as ticket_webhooks
from tickets.access import access_ticket


class SurveyAnswersSerializer(serializers.Serializer):
    """The four questions of §7-二十五, each 1 (very dissatisfied) to 4 (very satisfied), and a comment."""

    attitude = serializers.ChoiceField(choices=Level.choices)
    skill = serializers.ChoiceField(choices=Level.choices)
    punctuality = serializers.ChoiceField(choices=Level.choices)
    promises = serializers.ChoiceField(choices=Level.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SurveyReadSerializer(serializers.ModelSerializer):
    """The customer's answers (by phone or by the texted link), once given."""

    class Meta:
        model = Survey
        fields = [*SURVEY_QUESTIONS, "comment", "answered_at", "answered_via"]
        read_only_fields = fields


class FollowUpCallSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    branch = serializers.CharField(source="branch.code", read_only=True)
    carries_survey = serializers.SerializerMethodField(
        help_text="This call must record the survey (unless the customer answered by link)."
    )
    survey_answered = serializers.SerializerMethodField()
    survey = serializers.SerializerMethodField(help_text="The ticket's survey, once answered (else null).")

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
            "survey",
        ]
        read_only_fields = fields

    def get_carries_survey(self, call: FollowUpCall) -> bool:
        return call.outcome == Outcome.PENDING and services.carries_survey(call)

    def get_survey_answered(self, call: FollowUpCall) -> bool:
        survey = getattr(call.ticket, "survey", None)
        return bool(survey and survey.is_answered)

    @extend_schema_field(SurveyReadSerializer(allow_null=True))
    def get_survey(self, call: FollowUpCall) -> dict | None:
        survey = getattr(call.ticket, "survey", None)
        return SurveyReadSerializer(survey).data if survey and survey.is_answered else None


class CallRecordSerializer(serializers.Serializer):
    reached = RequiredBooleanField()
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None)
    problem_found = serializers.BooleanField(required=False, default=False)
    complaint_severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    survey = SurveyAnswersSerializer(required=False, allow_null=True, default=None)


class CallFilterSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)


class FollowUpCallViewSet(BodyFirstMixin, viewsets.GenericViewSet):
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
        callbacks=[*webhooks.CALLBACKS, ticket_webhooks.CALLBACKS[EventType.TICKET_CLOSED]],
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


# --- complaints (投诉): open, plan, visit, answer, close — the complaint pages' services and gates ---


class ComplaintSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)
    visited_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    answer_channel = serializers.ChoiceField(choices=AnswerChannel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "branch",
            "ticket",
            "customer",
            "contact_name",
            "contact_phone",
            "source",
            "severity",
            "service_at_fault",
            "description",
            "state",
            "version",
            "received_at",
            "plan_due_at",
            "plan",
            "planned_at",
            "visited_by",
            "visited_at",
            "visit_notes",
            "answer_channel",
            "answer_text",
            "answered_at",
            "closed_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "a complaint on a ticket",
            value={
                "ticket": 42,
                "severity": "general",
                "service_at_fault": True,
                "description": "技术员迟到两小时,未提前告知",
            },
            request_only=True,
        )
    ]
)
class ComplaintOpenSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2_147_483_647)
    branch = serializers.CharField(
        required=False, max_length=10, help_text="a branch code (headquarters, no ticket)"
    )
    source = serializers.ChoiceField(choices=STAFF_SOURCES, default=ComplaintSource.CALL)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    service_at_fault = serializers.BooleanField(default=False)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=4000)


@extend_schema_serializer(examples=[OpenApiExample("close", value={"version": 4}, request_only=True)])
class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="The complaint version you saw.", **VERSION_RANGE
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "plan",
            value={
                "version": 1,
                "plan": "主任上门致歉,调整派工",
                "severity": "general",
                "service_at_fault": True,
            },
            request_only=True,
        )
    ]
)
class ComplaintPlanSerializer(VersionSerializer):
    plan = serializers.CharField(max_length=4000)
    severity = serializers.ChoiceField(choices=Severity.choices)
    service_at_fault = serializers.BooleanField(default=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "visit",
            value={
                "version": 2,
                "visited_by": 7,
                "visited_at": "2026-10-12T15:00:00+08:00",
                "notes": "已上门致歉,客户接受",
            },
            request_only=True,
        )
    ]
)
class ComplaintVisitSerializer(VersionSerializer):
    visited_by = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, help_text="the visitor's user id"
    )
    visited_at = serializers.DateTimeField()
    notes = serializers.CharField(max_length=4000)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "answer",
            value={"version": 3, "answer_channel": "phone", "answer_text": "已致电客户说明处理结果"},
            request_only=True,
        )
    ]
)
class ComplaintAnswerSerializer(VersionSerializer):
    answer_channel = serializers.ChoiceField(choices=AnswerChannel.choices)
    answer_text = serializers.CharField(max_length=4000)


class ComplaintFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ComplaintState.choices, required=False)
    ticket = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)


@extend_schema(tags=["complaints"])
class ComplaintViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    serializer_class = ComplaintSerializer
    pagination_class = Cursor
    ordering_fields = ("received_at",)
    default_ordering = "-received_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no user
            return Complaint.objects.none()
        if not may_view_complaints(self.request.user):
            raise PermissionDenied(_("您没有查看投诉的权限。"))
        return Complaint.objects.visible_to(self.request.user).select_related("branch")

    def _complaint(self, pk) -> Complaint:
        return access_complaint(self.request.user, object_id(pk), queryset=self.get_queryset())

    def _step(self, request: Request, pk, step: str, serializer_class) -> tuple[Complaint, dict]:
        complaint = self._complaint(pk)
        if not may_act_on_complaint(step, request.user, complaint.branch_id):
            raise PermissionDenied(_("您没有权限执行此操作。"))
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["version"] = if_match_version(request, data.get("version"))
        return complaint, data

    def _answer(self, complaint_id: int) -> Response:
        complaint = self._complaint(complaint_id)
        return Response(self.get_serializer(complaint).data, headers={"ETag": etag(complaint.version)})

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=ComplaintState.values),
            OpenApiParameter("ticket", int),
            ordering_parameter("received_at"),
            FIELDS_PARAMETER,
        ]
    )
    def list(self, request: Request) -> Response:
        query = ComplaintFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.get_queryset()
        for name in ("state", "ticket"):
            if name in query.validated_data:
                rows = rows.filter(**{name: query.validated_data[name]})
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        return self._answer(pk)

    @extend_schema(
        request=ComplaintOpenSerializer,
        responses={201: ComplaintSerializer},
        description="登记投诉: on a ticket (its branch), or for a branch; the plan is due in 72 hours.",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        if not request.user.has_role(*COMPLAINT_ACTORS["open"]):
            raise PermissionDenied(_("您没有登记投诉的权限。"))
        serializer = ComplaintOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ticket_id, branch_code = data.pop("ticket", None), data.pop("branch", "")
        ticket = access_ticket(request.user, ticket_id) if ticket_id else None
        branch = None
        if branch_code:
            branch = Branch.objects.filter(code=branch_code).first()
            if branch is None or not request.user.in_branch(branch.pk):
                raise ValidationError({"branch": [_("请选择投诉所属网点。")]})
        complaint = services.open_complaint(
            user=request.user, details=services.ComplaintDetails(**data), ticket=ticket, branch=branch
        )
        response = self._answer(complaint.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        request=ComplaintPlanSerializer,
        responses={200: ComplaintSerializer},
        parameters=[IF_MATCH_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def plan(self, request: Request, pk=None) -> Response:
        complaint, data = self._step(request, pk, "plan", ComplaintPlanSerializer)
        services.record_plan(
            complaint_id=complaint.pk,
            user=request.user,
            expected_version=data["version"],
            plan=data["plan"],
            severity=data["severity"],
            service_at_fault=data["service_at_fault"],
        )
        return self._answer(complaint.pk)

    @extend_schema(
        request=ComplaintVisitSerializer,
        responses={200: ComplaintSerializer},
        parameters=[IF_MATCH_PARAMETER],
        description="§7-二十八: the supervisor's (or a delegate's) visit to the customer.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def visit(self, request: Request, pk=None) -> Response:
        complaint, data = self._step(request, pk, "visit", ComplaintVisitSerializer)
        services.record_visit(
            complaint_id=complaint.pk,
            user=request.user,
            expected_version=data["version"],
            visited_by=User.objects.filter(pk=data["visited_by"]).first(),
            visited_at=data["visited_at"],
            notes=data["notes"],
        )
        return self._answer(complaint.pk)

    @extend_schema(
        request=ComplaintAnswerSerializer,
        responses={200: ComplaintSerializer},
        parameters=[IF_MATCH_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def answer(self, request: Request, pk=None) -> Response:
        complaint, data = self._step(request, pk, "answer", ComplaintAnswerSerializer)
        services.record_answer(
            complaint_id=complaint.pk,
            user=request.user,
            expected_version=data["version"],
            channel=data["answer_channel"],
            text=data["answer_text"],
        )
        return self._answer(complaint.pk)

    @extend_schema(
        request=VersionSerializer,
        responses={200: ComplaintSerializer},
        parameters=[IF_MATCH_PARAMETER],
        description="Closed only with the plan, the visit and the answer to the customer.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request: Request, pk=None) -> Response:
        complaint, data = self._step(request, pk, "close", VersionSerializer)
        services.close_complaint(
            complaint_id=complaint.pk, user=request.user, expected_version=data["version"]
        )
        return self._answer(complaint.pk)
