"""Claims over the API: list and read the claims of one's scope, file one on a ticket (with photos or PDF
documents, base64 in the JSON body), decide it at the caller's level, withdraw it — through the services
the screens use (`submit_claim`, `decide_claim`, `withdraw_claim`), so routing by amount, the levels, the
"never your own claim, never two levels" rules and the notices are the same."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
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
from aftersales.bounds import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE, VERSION_RANGE
from aftersales.drf import (
    FIELDS_PARAMETER,
    IF_MATCH_PARAMETER,
    BodyFirstMixin,
    Cursor,
    RequiredBooleanField,
    SparseFieldsMixin,
    etag,
    form_errors,
    if_match_version,
    object_id,
    ordering_parameter,
)
from aftersales.errors import Conflict
from claims import webhooks
from claims.fee_services import FEE_READERS, billable_reports, check_finance, invoice_fee, receive_fee
from claims.forms import ClaimFilterForm
from claims.models import Claim, ClaimApproval, ClaimAttachment, ClaimKind, ClaimStatus, FeeHandover
from claims.selectors import filtered_claims
from claims.services import (
    MAX_AMOUNT,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    access_claim,
    decide_claim,
    may_file_claim,
    submit_claim,
    withdraw_claim,
)
from tickets.access import access_ticket
from tickets.models import ServiceReport


class ClaimApprovalSerializer(serializers.ModelSerializer):
    approver = serializers.StringRelatedField()

    class Meta:
        model = ClaimApproval
        fields = ["level", "role", "approver", "decision", "note", "at"]
        read_only_fields = fields


class ClaimAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimAttachment
        fields = ["id", "kind", "original_name", "sha256", "uploaded_at"]
        read_only_fields = fields


class ClaimSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    submitted_by = serializers.StringRelatedField()
    awaiting_role = serializers.CharField(read_only=True, help_text="The role deciding the current level.")
    levels = serializers.ListField(child=serializers.DictField(), read_only=True)
    approvals = ClaimApprovalSerializer(many=True, read_only=True)
    attachments = ClaimAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "branch",
            "ticket",
            "ticket_number",
            "kind",
            "amount",
            "reason",
            "status",
            "version",
            "submitted_by",
            "submitted_at",
            "threshold",
            "is_large",
            "levels",
            "current_level",
            "awaiting_role",
            "decided_at",
            "rejection_reason",
            "withdrawal_reason",
            "approvals",
            "attachments",
        ]
        read_only_fields = fields


class AttachmentUploadSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    content_base64 = serializers.CharField(
        max_length=(MAX_ATTACHMENT_BYTES * 4) // 3 + 8, help_text="The file (JPEG, PNG, WebP or PDF), base64."
    )


class ClaimCreateSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT
    )
    reason = serializers.CharField(max_length=4000)
    attachments = AttachmentUploadSerializer(
        many=True, required=False, default=list, max_length=MAX_ATTACHMENTS
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample("approve", value={"approve": True, "note": "已与客户协商一致"}, request_only=True)
    ]
)
class DecisionSerializer(serializers.Serializer):
    approve = RequiredBooleanField()
    note = serializers.CharField(
        max_length=2000, help_text="审批意见 (printed on the write-off form) or the reason."
    )
    version = serializers.IntegerField(
        required=False, help_text="The claim version you saw.", **VERSION_RANGE
    )


@extend_schema_serializer(
    examples=[OpenApiExample("withdraw", value={"reason": "客户撤回诉求", "version": 2}, request_only=True)]
)
class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False, **VERSION_RANGE)


def _uploads(attachments: list[dict]) -> list[SimpleUploadedFile]:
    files = []
    for position, attachment in enumerate(attachments):
        try:
            content = base64.b64decode(attachment["content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({f"attachments.{position}": [_("附件内容不是有效的 base64。")]}) from exc
        files.append(SimpleUploadedFile(attachment["name"], content))
    return files


def _detail(user, pk: int) -> Claim:
    return access_claim(
        user,
        pk,
        queryset=Claim.objects.select_related("branch", "ticket", "submitted_by").prefetch_related(
            "attachments", "approvals__approver"
        ),
    )


@extend_schema(tags=["claims"])
class ClaimViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    serializer_class = ClaimSerializer
    pagination_class = Cursor
    ordering_fields = ("submitted_at", "amount")
    default_ordering = "-submitted_at"

    def get_queryset(self):
        return Claim.objects.visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ClaimStatus.values),
            OpenApiParameter("kind", str, enum=ClaimKind.values),
            OpenApiParameter("q", str, description="claim number, ticket number (start) or customer name"),
            ordering_parameter("submitted_at", "amount"),
            FIELDS_PARAMETER,
        ]
    )
    def list(self, request: Request) -> Response:
        form = ClaimFilterForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        claims = (
            filtered_claims(request.user, form)
            .select_related("submitted_by")
            .prefetch_related("attachments", "approvals__approver")
        )
        page = self.paginate_queryset(claims)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        claim = _detail(request.user, object_id(pk))
        return Response(self.get_serializer(claim).data, headers={"ETag": etag(claim.version)})

    @extend_schema(
        request=ClaimCreateSerializer,
        responses={201: ClaimSerializer},
        description="File a claim on a ticket (the office of its branch, or its technician). Routed by the "
        "branch's rule: above the small-claim limit it goes to the supervisor, then the general manager.",
        examples=[
            OpenApiExample(
                "a cash claim",
                request_only=True,
                value={"ticket": 42, "kind": "cash", "amount": "3800.00", "reason": "维修延误造成客户损失"},
            )
        ],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        raw = body.get("ticket")
        ticket = None
        if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
            # The ticket's scope and the filer's right before the rest of the body (404 / 403 first);
            # an id that is no number is the serializer's field error (400).
            ticket = access_ticket(request.user, object_id(raw))
            if not may_file_claim(ticket, request.user):
                raise PermissionDenied(_("您不能为该工单提交赔偿申请。"))
        serializer = ClaimCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if ticket is None or ticket.pk != data["ticket"]:
            ticket = access_ticket(request.user, data["ticket"])
        claim = submit_claim(
            user=request.user,
            ticket_id=ticket.pk,
            kind=data["kind"],
            amount=data["amount"],
            reason=data["reason"],
            uploads=_uploads(data["attachments"]),
        )
        claim = _detail(request.user, claim.pk)
        return Response(self.get_serializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionSerializer,
        responses={200: ClaimSerializer},
        parameters=[IF_MATCH_PARAMETER],
        description="Decide the current level (its role in the claim's branch or headquarters, or the "
        "person assigned; never one's own claim, never two levels).",
        callbacks=webhooks.CALLBACKS,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decide(self, request: Request, pk=None) -> Response:
        claim = access_claim(request.user, object_id(pk))
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decide_claim(
            user=request.user,
            claim_id=claim.pk,
            expected_version=if_match_version(request, data.get("version")),
            approve=data["approve"],
            note=data["note"],
        )
        claim = _detail(request.user, claim.pk)
        return Response(self.get_serializer(claim).data, headers={"ETag": etag(claim.version)})

    @extend_schema(
        request=WithdrawSerializer,
        responses={200: ClaimSerializer},
        parameters=[IF_MATCH_PARAMETER],
        description="The claimant takes back a claim still being decided.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request: Request, pk=None) -> Response:
        claim = access_claim(request.user, object_id(pk))
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        withdraw_claim(
            user=request.user,
            claim_id=claim.pk,
            expected_version=if_match_version(request, data.get("version")),
            reason=data["reason"],
        )
        claim = _detail(request.user, claim.pk)
        return Response(self.get_serializer(claim).data, headers={"ETag": etag(claim.version)})


# --- fees (服务费): the fee of a signed paid report, received by finance, then invoiced ---

FEE_STATES = ("pending", "received", "invoiced")


class FeeHandoverSerializer(serializers.ModelSerializer):
    received_by = serializers.StringRelatedField()
    invoiced_by = serializers.StringRelatedField()

    class Meta:
        model = FeeHandover
        fields = [
            "id",
            "amount",
            "payment_method",
            "received_by",
            "received_at",
            "invoice_number",
            "invoice_date",
            "invoiced_by",
        ]
        read_only_fields = fields


class FeeSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """One paid service's fee: the signed report (its id is the fee's), and what finance did with it."""

    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    branch = serializers.CharField(source="ticket.branch.code", read_only=True)
    technician = serializers.StringRelatedField()
    state = serializers.SerializerMethodField(help_text="pending, received (not invoiced) or invoiced")
    handover = serializers.SerializerMethodField()

    class Meta:
        model = ServiceReport
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "branch",
            "technician",
            "fee",
            "payment_method",
            "fee_collected",
            "signed_at",
            "state",
            "handover",
        ]
        read_only_fields = fields

    def _handover(self, report) -> FeeHandover | None:
        return getattr(report, "handover", None)

    def get_state(self, report) -> str:
        handover = self._handover(report)
        if handover is None:
            return "pending"
        return "invoiced" if handover.is_invoiced else "received"

    @extend_schema_field(FeeHandoverSerializer(allow_null=True))
    def get_handover(self, report):
        handover = self._handover(report)
        return None if handover is None else FeeHandoverSerializer(handover).data


class FeeFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=FEE_STATES, required=False)


class InvoiceSerializer(serializers.Serializer):
    invoice_number = serializers.CharField(max_length=40)
    invoice_date = serializers.DateField()

    def validate_invoice_date(self, value):
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(
                DATE_RANGE_MESSAGE % {"field": _("开票日期"), "first": EARLIEST_DATE, "last": LATEST_DATE}
            )
        return value


def _check_fee_reader(user) -> None:
    if not user.has_role(*FEE_READERS):  # as the fees page
        raise PermissionDenied(_("只有会计、经理和服务主任可以查看财务列表。"))


def _fees(user):
    return billable_reports(user).select_related(
        "ticket__branch", "technician", "handover__received_by", "handover__invoiced_by"
    )


def _fee(user, pk) -> ServiceReport:
    report = _fees(user).filter(pk=object_id(pk)).first()
    if report is None:
        raise Http404
    return report


@extend_schema(tags=["fees"])
class FeeViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    """The fees page over the API (claims/finance_views.py): the same scope (`billable_reports`), the
    same services (`receive_fee`, `invoice_fee`); finance of the branch alone writes."""

    serializer_class = FeeSerializer
    pagination_class = Cursor
    ordering_fields = ("signed_at",)
    default_ordering = "-signed_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: the path's id is the report's
            return ServiceReport.objects.none()
        return _fees(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(FEE_STATES)),
            ordering_parameter("signed_at"),
            FIELDS_PARAMETER,
        ]
    )
    def list(self, request: Request) -> Response:
        _check_fee_reader(request.user)
        query = FeeFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.get_queryset()
        state = query.validated_data.get("state")
        if state == "pending":
            rows = rows.filter(handover__isnull=True)
        elif state == "received":
            rows = rows.filter(handover__isnull=False, handover__invoice_number="")
        elif state == "invoiced":
            rows = rows.filter(handover__isnull=False).exclude(handover__invoice_number="")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        _check_fee_reader(request.user)
        return Response(self.get_serializer(_fee(request.user, pk)).data)

    @extend_schema(
        request=None,
        responses={200: FeeSerializer},
        description="Finance of the branch records that the fee arrived in full (handed in or transferred).",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def receive(self, request: Request, pk=None) -> Response:
        report = _fee(request.user, pk)
        receive_fee(user=request.user, report_id=report.pk)
        return Response(self.get_serializer(_fee(request.user, pk)).data)

    @extend_schema(
        request=InvoiceSerializer,
        responses={200: FeeSerializer},
        description="Finance of the branch records the invoice of a received fee (not dated after today).",
        examples=[
            OpenApiExample(
                "an invoice",
                request_only=True,
                value={"invoice_number": "FP-20261127-01", "invoice_date": "2026-11-27"},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def invoice(self, request: Request, pk=None) -> Response:
        report = _fee(request.user, pk)
        handover = getattr(report, "handover", None)
        check_finance(request.user, report.ticket.branch_id)
        serializer = InvoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if handover is None:
            raise Conflict(_("该笔服务费尚未确认收款,不能开票。"))
        data = serializer.validated_data
        invoice_fee(
            user=request.user,
            handover_id=handover.pk,
            invoice_number=data["invoice_number"],
            invoice_date=data["invoice_date"],
        )
        return Response(self.get_serializer(_fee(request.user, pk)).data)
