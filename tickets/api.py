from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import idempotent
from accounts.models import Role, User
from aftersales.bounds import VERSION_RANGE
from aftersales.drf import (
    FIELDS_PARAMETER,
    IF_MATCH_PARAMETER,
    Cursor,
    SparseFieldsMixin,
    etag,
    form_errors,
    if_match_version,
    object_id,
    ordering_parameter,
)
from customers.models import Customer, FaultCategory, Unit
from tickets.access import access_ticket
from tickets.documents import pdf_response, pickup_receipt_pdf, repair_tag_pdf, service_voucher_pdf
from tickets.forms import FAULT_DESCRIPTION_MAX_CHARS, GoodsRegisterFilterForm, TicketFilterForm
from tickets.models import (
    Channel,
    FaultCause,
    GoodsRegisterEntry,
    Priority,
    RepairTicket,
    ServiceReport,
    ServiceReportPart,
    State,
    TicketEvent,
)
from tickets.permissions import TRANSITION_ACTORS
from tickets.report_services import (
    current_report,
    decode_signature,
    missing_for_signature,
    save_report,
    sign_report,
)
from tickets.reports import FeeReason, PaymentMethod
from tickets.return_services import (
    FactoryRepair,
    GoodsIn,
    approve_return,
    finish_factory_repair,
    hand_over,
    ship_back,
)
from tickets.selectors import filtered_tickets, latest_goods_entry, signed_report, verdict_for_unit
from tickets.services import CallDetails, apply_transition, log_call
from tickets.webhooks import LOGGED_CALLBACKS, TRANSITION_CALLBACKS
from warranty import rules
from warranty.rules import ALL_CONDITIONS
from warranty.serializers import DECISION_RESPONSE


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = TicketEvent
        fields = ["at", "actor", "action", "from_state", "to_state", "note"]


class TicketSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    serial_number = serializers.CharField(source="unit.serial_number", read_only=True)
    branch = serializers.CharField(source="branch.code", read_only=True)
    technician = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = RepairTicket
        fields = [
            "id",
            "number",
            "branch",
            "state",
            "version",
            "customer",
            "customer_name",
            "unit",
            "serial_number",
            "channel",
            "priority",
            "fault_category",
            "fault_description",
            "fault_cause",
            "conditions",
            "service_category",
            "warranty_decision",
            "technician",
            "due_at",
            "reported_at",
            "dispatched_at",
            "arrived_at",
            "completed_at",
            "accepted_at",
            "closed_at",
        ]
        read_only_fields = fields


class TicketRowSerializer(SparseFieldsMixin, TicketSerializer):
    """A row of the ticket list: `?fields=` keeps only those (the answers to a write carry every field)."""


class TicketDetailSerializer(TicketSerializer):
    events = TicketEventSerializer(many=True, read_only=True)
    helpers = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Helpers of the lead.")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "helpers", "events"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "a call",
            value={
                "unit": 12,
                "fault_category": "appliance",
                "fault_description": "开机五分钟后停机",
                "priority": "normal",
            },
            request_only=True,
        )
    ]
)
class TicketCreateSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.select_related("owner", "product_model__warranty_policy")
    )
    fault_category = serializers.ChoiceField(choices=FaultCategory.choices)
    fault_description = serializers.CharField(max_length=FAULT_DESCRIPTION_MAX_CHARS)
    fault_cause = serializers.ChoiceField(choices=FaultCause.choices, default=FaultCause.QUALITY)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(ALL_CONDITIONS)), default=list
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A unit of another branch answers like one that does not exist (nothing to learn from the id).
        request = self.context.get("request")  # none while the schema is generated
        if request is not None:
            self.fields["unit"].queryset = self.fields["unit"].queryset.filter(
                owner__in=Customer.objects.visible_to(request.user)
            )


def colleagues_of(user: User):
    """The users whose ids this user may name (a technician to dispatch, an inspector): their branch's,
    or everyone's at headquarters. Another id answers like one that does not exist."""
    users = User.objects.filter(is_active=True)
    return users if user.sees_all_branches else users.filter(branch_id=user.branch_id)


class TransitionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you saw; a stale one answers 409.", **VERSION_RANGE
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    technician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    helpers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        many=True,
        required=False,
        help_text="dispatch: technicians sent with the lead (`technician`), of the ticket's branch.",
    )
    # Return to factory (approve_return, finish_factory_repair, hand_over): the paperwork's fields.
    item_description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    accessories = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    condition = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    labour_hours = serializers.DecimalField(
        required=False, allow_null=True, max_digits=5, decimal_places=2, min_value=Decimal(0), default=None
    )
    parts_used = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    inspection_note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    inspector = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None
    )
    signer_name = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none while the schema is generated
        if request is not None:
            colleagues = colleagues_of(request.user)
            self.fields["technician"].queryset = colleagues
            self.fields["helpers"].child_relation.queryset = colleagues
            self.fields["inspector"].queryset = colleagues

    signature = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="data:image/png;base64,… (hand_over)"
    )
    tracking_number = serializers.CharField(
        required=False, allow_blank=True, max_length=40, default="", help_text="hand_over as a ship-back"
    )


class ServiceReportPartSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceReportPart
        fields = [
            "id",
            "part_code",
            "part_name",
            "quantity",
            "removed_serial",
            "fitted_serial",
            "old_part_returnable",
        ]
        read_only_fields = fields


class ServiceReportSerializer(serializers.ModelSerializer):
    parts = ServiceReportPartSerializer(many=True, read_only=True)
    # Declared: a read-only model field loses `blank`, and the schema then refused the empty value.
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, allow_blank=True, read_only=True)
    fee_reason = serializers.ChoiceField(choices=FeeReason.choices, allow_blank=True, read_only=True)
    photos = serializers.SerializerMethodField()
    is_signed = serializers.BooleanField(read_only=True)
    missing = serializers.SerializerMethodField(help_text="What still blocks the customer's signature.")

    class Meta:
        model = ServiceReport
        fields = [
            "id",
            "visit",
            "version",
            "idempotency_key",
            "customer_account",
            "usage_reading",
            "previously_disassembled",
            "findings",
            "cause",
            "work_done",
            "labour_hours",
            "fee",
            "payment_method",
            "fee_collected",
            "fee_reason",
            "fee_reason_note",
            "parts",
            "photos",
            "is_signed",
            "signer_name",
            "signed_at",
            "content_sha256",
            "missing",
        ]
        read_only_fields = fields

    def get_photos(self, report: ServiceReport) -> list[str]:
        return [
            reverse("tickets:report_photo", args=[report.ticket_id, photo.pk])
            for photo in report.photos.all()
        ]

    def get_missing(self, report: ServiceReport) -> list[str]:
        return [str(label) for label in missing_for_signature(report)]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "the findings",
            value={
                "version": 2,
                "findings": "室外机电容鼓包",
                "cause": "电容老化",
                "work_done": "更换启动电容,试机正常",
                "labour_hours": "1.50",
            },
            request_only=True,
        )
    ]
)
class ServiceReportPatchSerializer(serializers.Serializer):
    """A draft save: only the fields given change. `version` is the report version you saw."""

    version = serializers.IntegerField(required=False, help_text="A stale one answers 409.", **VERSION_RANGE)
    idempotency_key = serializers.UUIDField(required=False, help_text="Needed to start the report.")
    customer_account = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    usage_reading = serializers.CharField(required=False, allow_blank=True, max_length=60)
    previously_disassembled = serializers.BooleanField(required=False, allow_null=True)
    findings = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    cause = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    work_done = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    labour_hours = serializers.DecimalField(
        required=False, allow_null=True, max_digits=5, decimal_places=2, min_value=Decimal(0)
    )
    fee = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=Decimal(0))
    payment_method = serializers.ChoiceField(required=False, allow_blank=True, choices=PaymentMethod.choices)
    fee_collected = serializers.BooleanField(required=False)
    fee_reason = serializers.ChoiceField(
        required=False,
        allow_blank=True,
        choices=FeeReason.choices,
        help_text="Needed for a fee when the verdict's payer is the company.",
    )
    fee_reason_note = serializers.CharField(required=False, allow_blank=True, max_length=200)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "signed",
            value={"signer_name": "王芳", "signature": "data:image/png;base64,iVBORw0KGgo…", "version": 3},
            request_only=True,
        )
    ]
)
class ReportSignatureSerializer(serializers.Serializer):
    signer_name = serializers.CharField(
        max_length=60, help_text="The customer's name (not the technician's)."
    )
    signature = serializers.CharField(max_length=2_000_000, help_text="data:image/png;base64,…")
    version = serializers.IntegerField(
        required=False, help_text="The report version the customer read.", **VERSION_RANGE
    )


TICKET_ORDERING = ("due_at", "reported_at", "number", "state", "priority")


@extend_schema(tags=["tickets"])
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketRowSerializer
    pagination_class = Cursor
    ordering_fields = TICKET_ORDERING
    default_ordering = "due_at"  # the ticket list page's default: the next deadline first

    def get_queryset(self):
        return RepairTicket.objects.visible_to(self.request.user).for_list()

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="number, customer, phone (any form), serial, fault text"),
            OpenApiParameter(
                "state", str, enum=["open", *State.values], description="a state, or `open`: not finished"
            ),
            OpenApiParameter("branch", int, description="a branch's id (headquarters only)"),
            OpenApiParameter("technician", int, description="the assigned technician's user id"),
            OpenApiParameter("category", str, enum=FaultCategory.values, description="the fault category"),
            OpenApiParameter("overdue", bool, description="only open tickets past their deadline"),
            OpenApiParameter("month", str, pattern=r"^\d{4}-\d{2}$", description="reported in (YYYY-MM)"),
            OpenApiParameter("product_model", int, description="the unit's product model id"),
            ordering_parameter(*TICKET_ORDERING),
            FIELDS_PARAMETER,
        ],
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        """The ticket list page's filters and scope (tickets.selectors.filtered_tickets), a cursor page
        at a time like every list."""
        form = TicketFilterForm(request.query_params or None, user=request.user)
        if form.is_bound and not form.is_valid():
            raise form_errors(form)
        page = self.paginate_queryset(filtered_tickets(request.user, form))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses={
            200: OpenApiResponse(
                TicketDetailSerializer,
                description="The ticket; its ETag is its version, for If-Match on the next write.",
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
        },
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        ticket = access_ticket(request.user, object_id(pk), queryset=RepairTicket.objects.for_detail())
        tag = etag(ticket.version)
        if request.headers.get("If-None-Match") == tag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(TicketDetailSerializer(ticket).data, headers={"ETag": tag})

    @extend_schema(
        request=TicketCreateSerializer, responses={201: TicketSerializer}, callbacks=LOGGED_CALLBACKS
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = TicketCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        details = CallDetails(
            fault_category=data["fault_category"],
            fault_description=data["fault_description"],
            fault_cause=data["fault_cause"],
            conditions=frozenset(data["conditions"]),
            channel=data["channel"],
            priority=data["priority"],
        )
        ticket = log_call(user=request.user, unit=data["unit"], details=details)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: TicketSerializer},
        parameters=[IF_MATCH_PARAMETER],
        examples=[
            OpenApiExample("dispatch", request_only=True, value={"technician": 7, "note": "上午到"}),
        ],
        callbacks=TRANSITION_CALLBACKS,
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    @idempotent
    def transition(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        ticket = access_ticket(request.user, object_id(pk))
        if name not in TRANSITION_ACTORS:
            raise NotFound(_("没有名为“%(name)s”的操作。") % {"name": name})
        serializer = TransitionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["version"] = if_match_version(request, data.get("version"))
        ticket = self._run_transition(ticket, request.user, name, data)
        return Response(TicketSerializer(ticket).data, headers={"ETag": etag(ticket.version)})

    @staticmethod
    def _run_transition(ticket: RepairTicket, user: User, name: str, data: dict) -> RepairTicket:
        """The return-to-factory transitions go through their services (register, receipt, tag)."""
        version = data.get("version")
        if name == "approve_return":
            goods = GoodsIn(data["item_description"], data["accessories"], data["condition"])
            approve_return(
                ticket_id=ticket.pk, user=user, expected_version=version, goods=goods, note=data["note"]
            )
        elif name == "finish_factory_repair":
            repair = FactoryRepair(
                work_done=data["note"],
                labour_hours=data["labour_hours"],
                parts_used=data["parts_used"],
                inspection_note=data["inspection_note"],
                inspector=data["inspector"],
            )
            finish_factory_repair(ticket_id=ticket.pk, user=user, expected_version=version, repair=repair)
        elif name == "hand_over" and data["tracking_number"]:
            ship_back(
                ticket_id=ticket.pk,
                user=user,
                expected_version=version,
                tracking_number=data["tracking_number"],
            )
        elif name == "hand_over":
            hand_over(
                ticket_id=ticket.pk,
                user=user,
                expected_version=version,
                signer_name=data["signer_name"],
                signature_png=decode_signature(data["signature"]),
            )
        else:
            return apply_transition(
                ticket_id=ticket.pk,
                user=user,
                name=name,
                expected_version=version,
                technician=data.get("technician"),
                helpers=data.get("helpers", ()),
                note=data["note"],
            )
        return RepairTicket.objects.get(pk=ticket.pk)

    @extend_schema(
        methods=["GET"],
        responses={200: ServiceReportSerializer, 404: None},
        description="This visit's report; its ETag is the report's version, for If-Match on the next save "
        "or the signature.",
    )
    @extend_schema(
        methods=["PATCH"],
        request=ServiceReportPatchSerializer,
        responses={200: ServiceReportSerializer},
        parameters=[IF_MATCH_PARAMETER],
        description="Save draft fields: 400 with field errors, 403 if not the assigned technician on site, "
        "409 once signed or on a stale version (If-Match or `version`: the report's).",
    )
    @action(detail=True, methods=["get", "patch"], url_path="report")
    @idempotent
    def report(self, request: Request, pk: str | None = None) -> Response:
        ticket = access_ticket(request.user, object_id(pk))
        if request.method == "GET":
            report = current_report(ticket)
            if report is None:
                raise NotFound(_("本次上门尚未填写服务报告。"))
            return Response(ServiceReportSerializer(report).data, headers={"ETag": etag(report.version)})
        serializer = ServiceReportPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        expected_version = if_match_version(request, changes.pop("version", None))
        idempotency_key = changes.pop("idempotency_key", None) or uuid.uuid4()
        report = save_report(
            ticket_id=ticket.pk,
            user=request.user,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            changes=changes,
        )
        return self._report_answer(report.ticket)

    @staticmethod
    def _report_answer(ticket: RepairTicket) -> Response:
        report = current_report(ticket)
        return Response(ServiceReportSerializer(report).data, headers={"ETag": etag(report.version)})

    @extend_schema(
        request=ReportSignatureSerializer,
        responses={200: ServiceReportSerializer},
        parameters=[IF_MATCH_PARAMETER],
        description="The customer signs the complete report on the technician's device (the assigned "
        "technician, on site); the report is frozen. 409 when something is missing, once signed, or when "
        "the report changed after `version` (the version the customer read).",
    )
    @action(detail=True, methods=["post"], url_path="report/sign", url_name="report-sign")
    @idempotent
    def sign(self, request: Request, pk: str | None = None) -> Response:
        ticket = access_ticket(request.user, object_id(pk))
        if ticket.technician_id != request.user.pk:  # before the body: an outsider learns nothing from it
            raise PermissionDenied(_("只有派工的技术员可以填写该工单的服务报告。"))
        serializer = ReportSignatureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = sign_report(
            ticket_id=ticket.pk,
            user=request.user,
            signer_name=data["signer_name"],
            signature_png=decode_signature(data["signature"]),
            expected_version=if_match_version(request, data.get("version")),
        )
        return self._report_answer(report.ticket)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="the pickup receipt (PDF)"
            )
        },
        description="The pickup receipt of the ticket's latest goods-in (as printed from the ticket page).",
    )
    @action(detail=True, methods=["get"], url_path="goods/receipt", url_name="pickup-receipt")
    def pickup_receipt(self, request: Request, pk: str | None = None) -> HttpResponse:
        entry = latest_goods_entry(access_ticket(request.user, object_id(pk)))
        return pdf_response(pickup_receipt_pdf(entry), f"pickup-receipt-{entry.receipt.number}.pdf")

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the repair tag (PDF)")
        },
        description="The repair tag of the ticket's latest goods-in; its QR code opens the ticket page.",
    )
    @action(detail=True, methods=["get"], url_path="goods/tag", url_name="repair-tag")
    def repair_tag(self, request: Request, pk: str | None = None) -> HttpResponse:
        ticket = access_ticket(request.user, object_id(pk))
        entry = latest_goods_entry(ticket)
        url = request.build_absolute_uri(ticket.get_absolute_url())
        return pdf_response(repair_tag_pdf(entry, url), f"repair-tag-{entry.number}.pdf")

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="服务凭证 (A4 PDF)")
        },
        description="The service voucher of a signed report (as printed from the ticket page).",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"reports/(?P<report_id>[0-9]+)/voucher",
        url_name="voucher",
    )
    def voucher(self, request: Request, pk: str | None = None, report_id: str = "") -> HttpResponse:
        ticket = access_ticket(request.user, object_id(pk))
        service_report = signed_report(ticket, object_id(report_id))
        if service_report is None:
            raise NotFound(_("该服务报告尚未签字,没有服务凭证。"))
        return pdf_response(
            service_voucher_pdf(service_report), f"service-voucher-{ticket.number}-{service_report.visit}.pdf"
        )


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
        raise ValidationError(errors)
    try:
        decision = verdict_for_unit(
            unit,
            report_date=report_date,
            fault=fault,
            fault_category=request.query_params.get("fault_category", unit.product_model.category),
        )
    except rules.InvalidWarrantyRequest as exc:
        raise ValidationError({field: [message] for field, message in exc.errors.items()}) from exc
    return Response({"serial_number": unit.serial_number, **decision.as_dict()})


# --- the goods register (客户商品进出登记簿) ---


class GoodsRegisterEntrySerializer(SparseFieldsMixin, serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    customer = serializers.CharField(source="ticket.customer.name", read_only=True)

    class Meta:
        model = GoodsRegisterEntry
        fields = [
            "id",
            "number",
            "branch",
            "ticket",
            "ticket_number",
            "customer",
            "item_description",
            "accessories",
            "condition",
            "in_at",
            "out_at",
            "out_kind",
            "tracking_number",
        ]
        read_only_fields = fields


@extend_schema(
    tags=["tickets"],
    parameters=[
        OpenApiParameter("date_from", OpenApiTypes.DATE, description="goods in on or after"),
        OpenApiParameter("date_to", OpenApiTypes.DATE, description="goods in on or before"),
        OpenApiParameter("branch", int, description="a branch's id (headquarters only)"),
        FIELDS_PARAMETER,
    ],
)
class GoodsRegisterList(generics.ListAPIView):
    """The goods register page over the API (tickets/return_views.py `goods_register`): the same
    readers, scope and filters, newest goods-in first."""

    serializer_class = GoodsRegisterEntrySerializer
    pagination_class = Cursor
    default_ordering = "-in_at"

    def get_queryset(self):
        user = self.request.user
        if not user.has_role(Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER, Role.WAREHOUSE):
            raise PermissionDenied(_("您没有查看客户商品进出登记簿的权限。"))
        form = GoodsRegisterFilterForm(self.request.query_params, user=user)
        if not form.is_valid():
            raise form_errors(form)
        data = form.cleaned_data
        entries = GoodsRegisterEntry.objects.visible_to(user).select_related("branch", "ticket__customer")
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            entries = entries.filter(
                in_at__gte=datetime.datetime.combine(data["date_from"], datetime.time(), zone)
            )
        if data["date_to"]:
            end = data["date_to"] + datetime.timedelta(days=1)
            entries = entries.filter(in_at__lt=datetime.datetime.combine(end, datetime.time(), zone))
        if data.get("branch"):
            entries = entries.filter(branch=data["branch"])
        return entries
