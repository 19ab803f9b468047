"""The parts API: the catalogue and the van's stock for the technician's tablet, and requisitions
(submit, decide, issue) through the services the screens use."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.bounds import MAX_QUANTITY
from aftersales.drf import (
    FIELDS_PARAMETER,
    BodyFirstMixin,
    Cursor,
    RequiredBooleanField,
    SparseFieldsMixin,
    object_id,
    ordering_parameter,
)
from parts import webhooks
from parts.access import access_receiving_note, access_requisition
from parts.models import (
    OldPart,
    Part,
    ReceivingLine,
    ReceivingNote,
    Requisition,
    RequisitionLine,
    StockLevel,
    StockMovement,
    Supplier,
    Warehouse,
)
from parts.screens import require_screen
from parts.selectors import requisition_warehouses
from parts.services import (
    ReceiptLine,
    check_keeper,
    decide_requisition,
    issue_requisition,
    keeper_warehouses,
    receive_old_part,
    receive_parts,
    submit_requisition,
    van_of,
)
from tickets.access import access_ticket


class PartSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    compatible_models = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Part
        fields = ["code", "name", "specification", "unit", "market_price", "supplier", "compatible_models"]


class VanStockSerializer(serializers.ModelSerializer):
    part = PartSerializer(read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = StockLevel
        fields = ["warehouse", "part", "on_hand"]


class PartSearchSerializer(serializers.Serializer):
    """The list's query: checked like any input (a NUL character in `search` reached PostgreSQL: a 500)."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


@extend_schema(
    parameters=[
        OpenApiParameter("search", str, description="code, name or specification"),
        ordering_parameter("code", "name"),
    ]
)
class PartList(generics.ListAPIView):
    """The active catalogue (配件目录) for the technician's tablet: no cost price, which only the roles of
    `parts.permissions.COST_PRICE_VIEWERS` see, in the office."""

    serializer_class = PartSerializer
    pagination_class = Cursor
    ordering_fields = ("code", "name")
    default_ordering = "code"

    def get_queryset(self):
        parts = Part.objects.active().select_related("supplier").prefetch_related("compatible_models")
        query = PartSearchSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        search = query.validated_data["search"]
        if search:
            parts = parts.filter(
                Q(code__icontains=search) | Q(name__icontains=search) | Q(specification__icontains=search)
            )
        return parts.order_by("code")


class MyVanStock(generics.ListAPIView):
    """What is in the signed-in technician's van (empty when they have none)."""

    serializer_class = VanStockSerializer
    pagination_class = Cursor
    default_ordering = "part_code"  # by the part's code (annotated: a cursor's position is a row's own field)

    def get_queryset(self):
        levels = StockLevel.objects.annotate(part_code=F("part__code"))
        van = van_of(self.request.user)
        if van is None:
            return levels.none()
        return (
            levels.filter(warehouse=van, on_hand__gt=0)
            .select_related("warehouse", "part__supplier")
            .prefetch_related("part__compatible_models")
        )


# --- requisitions (领料单): the technician asks, the supervisor decides, the warehouse issues ---


class RequisitionLineSerializer(serializers.ModelSerializer):
    part = serializers.CharField(source="part.code", read_only=True)
    outstanding = serializers.IntegerField(read_only=True)

    class Meta:
        model = RequisitionLine
        fields = ["id", "part", "quantity", "issued", "returned", "outstanding"]
        read_only_fields = fields


class RequisitionSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    lines = RequisitionLineSerializer(many=True, read_only=True)

    class Meta:
        model = Requisition
        fields = [
            "id",
            "number",
            "branch",
            "ticket",
            "ticket_number",
            "technician",
            "warehouse",
            "reason",
            "state",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "lines",
        ]
        read_only_fields = fields


class RequestedLineSerializer(serializers.Serializer):
    part = serializers.CharField(max_length=40, help_text="the part's code")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "a compressor",
            value={
                "ticket": 42,
                "warehouse": "SH-STORE",
                "reason": "压缩机不启动,需更换",
                "lines": [{"part": "CMP-35", "quantity": 1}],
            },
            request_only=True,
        )
    ]
)
class RequisitionCreateSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    warehouse = serializers.CharField(max_length=40, help_text="the store's code (station or central)")
    reason = serializers.CharField(max_length=200)
    lines = RequestedLineSerializer(many=True, min_length=1, max_length=50)


@extend_schema_serializer(
    examples=[OpenApiExample("approve", value={"approve": True, "note": "同意"}, request_only=True)]
)
class RequisitionDecisionSerializer(serializers.Serializer):
    approve = RequiredBooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class IssuedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


@extend_schema_serializer(
    examples=[OpenApiExample("issue all", value={"lines": [{"line": 15, "quantity": 1}]}, request_only=True)]
)
class RequisitionIssueSerializer(serializers.Serializer):
    lines = IssuedLineSerializer(many=True, min_length=1, max_length=50)


class RequisitionFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Requisition.State.choices, required=False)
    ticket = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)


def _requisition(user, pk) -> Requisition:
    """The requisition with its lines in one read (404 outside the user's scope)."""
    return access_requisition(
        user,
        object_id(pk),
        queryset=Requisition.objects.select_related("branch", "ticket", "warehouse").prefetch_related(
            "lines__part"
        ),
    )


def _active_parts(lines: list[dict]) -> dict[str, Part]:
    """The active parts the lines name by code, by code; a code of no active part is the lines' 400."""
    codes = [line["part"] for line in lines]
    parts = {part.code: part for part in Part.objects.active().filter(code__in=codes)}
    unknown = [code for code in codes if code not in parts]
    if unknown:
        raise ValidationError({"lines": [_("没有编码为“%(code)s”的配件。") % {"code": unknown[0]}]})
    return parts


@extend_schema(tags=["parts"])
class RequisitionViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    serializer_class = RequisitionSerializer
    pagination_class = Cursor
    ordering_fields = ("created_at",)
    default_ordering = "-created_at"

    def get_queryset(self):
        return Requisition.objects.visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=Requisition.State.values),
            OpenApiParameter("ticket", int),
            ordering_parameter("created_at"),
            FIELDS_PARAMETER,
        ]
    )
    def list(self, request: Request) -> Response:
        query = RequisitionFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = (
            self.get_queryset()
            .select_related("branch", "ticket", "warehouse")
            .prefetch_related("lines__part")
        )
        if "state" in query.validated_data:
            rows = rows.filter(state=query.validated_data["state"])
        if "ticket" in query.validated_data:
            rows = rows.filter(ticket_id=query.validated_data["ticket"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(self.get_serializer(_requisition(request.user, pk)).data)

    @extend_schema(
        request=RequisitionCreateSerializer,
        responses={201: RequisitionSerializer},
        description="The assigned technician asks for parts for an open ticket; the supervisor is told.",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        if not request.user.has_role(Role.TECHNICIAN):
            raise PermissionDenied(_("只有该工单的技术员可以为其申请领料。"))
        serializer = RequisitionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = access_ticket(request.user, data["ticket"])
        if ticket.technician_id != request.user.pk:
            raise PermissionDenied(_("只有该工单的技术员可以为其申请领料。"))
        warehouse = requisition_warehouses(ticket).filter(code=data["warehouse"]).first()
        if warehouse is None:
            raise ValidationError({"warehouse": [_("请选择发料的仓库。")]})
        parts = _active_parts(data["lines"])
        requisition = submit_requisition(
            user=request.user,
            ticket=ticket,
            warehouse=warehouse,
            lines=[(parts[line["part"]], line["quantity"]) for line in data["lines"]],
            reason=data["reason"],
        )
        return Response(
            self.get_serializer(_requisition(request.user, requisition.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=RequisitionDecisionSerializer,
        responses={200: RequisitionSerializer},
        description="A supervisor of the branch approves or rejects (never their own request).",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decide(self, request: Request, pk=None) -> Response:
        requisition = _requisition(request.user, pk)
        serializer = RequisitionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decide_requisition(
            requisition_id=requisition.pk, user=request.user, approve=data["approve"], note=data["note"]
        )
        return Response(self.get_serializer(_requisition(request.user, pk)).data)

    @extend_schema(
        request=RequisitionIssueSerializer,
        responses={200: RequisitionSerializer},
        description="The store's keeper issues (all or part) into the technician's van.",
        callbacks=webhooks.CALLBACKS,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def issue(self, request: Request, pk=None) -> Response:
        requisition = _requisition(request.user, pk)
        check_keeper(request.user, requisition.warehouse)  # before the body, as the page
        serializer = RequisitionIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quantities: dict[int, int] = {}
        for line in serializer.validated_data["lines"]:
            quantities[line["line"]] = quantities.get(line["line"], 0) + line["quantity"]
        issue_requisition(requisition_id=requisition.pk, user=request.user, quantities=quantities)
        return Response(self.get_serializer(_requisition(request.user, pk)).data)


# --- stock (read) ---


class StockLevelSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    part = serializers.CharField(source="part.code", read_only=True)
    part_name = serializers.CharField(source="part.name", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "warehouse", "part", "part_name", "condition", "on_hand"]
        read_only_fields = fields


class StockMovementSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    part = serializers.CharField(source="part.code", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    actor = serializers.StringRelatedField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "at",
            "warehouse",
            "part",
            "condition",
            "kind",
            "quantity",
            "balance_after",
            "actor",
            "reference",
            "reason",
        ]
        read_only_fields = fields


class StockFilterSerializer(serializers.Serializer):
    warehouse = serializers.CharField(required=False, max_length=40)
    part = serializers.CharField(required=False, max_length=40)


def _stock_filter(request: Request, rows):
    query = StockFilterSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    rows = rows.filter(warehouse__in=Warehouse.objects.visible_to(request.user))
    if query.validated_data.get("warehouse"):
        rows = rows.filter(warehouse__code=query.validated_data["warehouse"])
    if query.validated_data.get("part"):
        rows = rows.filter(part__code=query.validated_data["part"])
    return rows


STOCK_PARAMETERS = [
    OpenApiParameter("warehouse", str, description="a warehouse's code"),
    OpenApiParameter("part", str, description="a part's code"),
    FIELDS_PARAMETER,
]


@extend_schema(tags=["parts"], parameters=STOCK_PARAMETERS)
class StockLevelList(generics.ListAPIView):
    """On hand per warehouse and part, in the warehouses this user sees (the warehouse pages' scope)."""

    serializer_class = StockLevelSerializer
    pagination_class = Cursor
    default_ordering = "pk"

    def get_queryset(self):
        return _stock_filter(self.request, StockLevel.objects.select_related("part", "warehouse"))


@extend_schema(tags=["parts"], parameters=STOCK_PARAMETERS)
class StockMovementList(generics.ListAPIView):
    """The stock ledger (newest first), in the warehouses this user sees."""

    serializer_class = StockMovementSerializer
    pagination_class = Cursor
    default_ordering = "-pk"

    def get_queryset(self):
        return _stock_filter(self.request, StockMovement.objects.select_related("part", "warehouse", "actor"))


# --- receiving (备用件接收单): the keeper books what arrived into a store ---


class ReceivingLineSerializer(serializers.ModelSerializer):
    part = serializers.CharField(source="part.code", read_only=True)
    part_name = serializers.CharField(source="part.name", read_only=True)

    class Meta:
        model = ReceivingLine
        fields = ["part", "part_name", "quantity", "unit_cost"]
        read_only_fields = fields


class ReceivingNoteSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    received_by = serializers.StringRelatedField()
    lines = ReceivingLineSerializer(many=True, read_only=True)

    class Meta:
        model = ReceivingNote
        fields = [
            "id",
            "number",
            "warehouse",
            "supplier",
            "delivery_reference",
            "received_by",
            "received_at",
            "note",
            "lines",
        ]
        read_only_fields = fields


class ReceivedLineSerializer(serializers.Serializer):
    part = serializers.CharField(max_length=40, help_text="the part's code")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_cost = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )


class ReceivingNoteCreateSerializer(serializers.Serializer):
    warehouse = serializers.CharField(max_length=40, help_text="the store's code (not a van)")
    supplier = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    delivery_reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = ReceivedLineSerializer(many=True, min_length=1, max_length=50)


def _receiving_notes(user):
    return (
        ReceivingNote.objects.filter(warehouse__in=Warehouse.objects.visible_to(user))
        .select_related("warehouse", "supplier", "received_by")
        .prefetch_related("lines__part")
    )


@extend_schema(tags=["parts"])
class ReceivingNoteViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    """The receiving pages over the API (parts/views.py `receive`): notes of the warehouses one sees;
    a keeper of the store (`parts:receive`) books through `receive_parts`, ledger and note together."""

    serializer_class = ReceivingNoteSerializer
    pagination_class = Cursor
    ordering_fields = ("received_at",)
    default_ordering = "-received_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReceivingNote.objects.none()
        return _receiving_notes(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="the note's number (part of it)"),
            FIELDS_PARAMETER,
        ]
    )
    def list(self, request: Request) -> Response:
        query = PartSearchSerializer(data={"search": request.query_params.get("q", "")})
        query.is_valid(raise_exception=True)
        rows = self.get_queryset()
        if query.validated_data["search"].strip():
            rows = rows.filter(number__icontains=query.validated_data["search"].strip())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        note = access_receiving_note(request.user, object_id(pk), queryset=self.get_queryset())
        return Response(self.get_serializer(note).data)

    @extend_schema(
        request=ReceivingNoteCreateSerializer,
        responses={201: ReceivingNoteSerializer},
        description="A keeper books the parts that arrived into one of their stores; backorders that can "
        "now be served are told to the dispatchers.",
        examples=[
            OpenApiExample(
                "a delivery",
                request_only=True,
                value={
                    "warehouse": "SH-STORE",
                    "delivery_reference": "SHD-20261127",
                    "lines": [{"part": "CMP-35", "quantity": 4, "unit_cost": "420.00"}],
                },
            )
        ],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        require_screen(request.user, "parts:receive", message=_("只有库管可以办理入库。"))
        serializer = ReceivingNoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        warehouse = keeper_warehouses(request.user).filter(code=data["warehouse"]).first()
        if warehouse is None:
            raise ValidationError({"warehouse": [_("请选择入库仓库。")]})
        supplier = None
        if data["supplier"]:
            supplier = Supplier.objects.filter(code=data["supplier"]).first()
            if supplier is None:
                raise ValidationError(
                    {"supplier": [_("没有代码为“%(code)s”的供应商。") % {"code": data["supplier"]}]}
                )
        parts = _active_parts(data["lines"])
        note = receive_parts(
            user=request.user,
            warehouse=warehouse,
            lines=[
                ReceiptLine(
                    part=parts[line["part"]], quantity=line["quantity"], unit_cost=line.get("unit_cost")
                )
                for line in data["lines"]
            ],
            supplier=supplier,
            delivery_reference=data["delivery_reference"],
            note=data["note"],
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=note.pk)).data, status=status.HTTP_201_CREATED
        )


# --- old parts (旧件): expected back from the technicians, received by a keeper against the report ---


class OldPartSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    part = serializers.CharField(source="part.code", read_only=True, allow_null=True)
    ticket_number = serializers.CharField(source="usage.ticket.number", read_only=True)
    technician = serializers.StringRelatedField()
    warehouse = serializers.CharField(source="warehouse.code", read_only=True, allow_null=True)
    received_by = serializers.StringRelatedField()

    class Meta:
        model = OldPart
        fields = [
            "id",
            "ticket_number",
            "part",
            "quantity",
            "removed_serial",
            "technician",
            "state",
            "warehouse",
            "received_by",
            "received_at",
        ]
        read_only_fields = fields


class OldPartFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=OldPart.State.choices, required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


@extend_schema_serializer(
    examples=[OpenApiExample("into the store", value={"warehouse": "SH-STORE"}, request_only=True)]
)
class OldPartReceiveSerializer(serializers.Serializer):
    warehouse = serializers.CharField(max_length=40, help_text="the store's code (not a van)")


def _old_parts(user):
    return OldPart.objects.visible_to(user).select_related(
        "part", "technician", "usage__ticket", "warehouse", "received_by"
    )


@extend_schema(tags=["parts"])
class OldPartViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    """The old-parts page over the API (parts/views.py `old_parts`, `old_part_receive`): its viewers list,
    a keeper receives through `receive_old_part` (the replacement is written off when all is in)."""

    serializer_class = OldPartSerializer
    pagination_class = Cursor
    ordering_fields = ("created_at",)
    default_ordering = "created_at"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OldPart.objects.none()
        return _old_parts(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=OldPart.State.values),
            OpenApiParameter("q", str, description="ticket number, part code or removed serial"),
            FIELDS_PARAMETER,
        ]
    )
    def list(self, request: Request) -> Response:
        require_screen(request.user, "parts:old_parts", message=_("您没有权限查看旧件。"))
        query = OldPartFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.get_queryset()
        if "state" in query.validated_data:
            rows = rows.filter(state=query.validated_data["state"])
        q = query.validated_data["q"].strip()
        if q:
            rows = rows.filter(
                Q(usage__ticket__number__icontains=q)
                | Q(part__code__icontains=q)
                | Q(removed_serial__icontains=q)
            )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=OldPartReceiveSerializer,
        responses={200: OldPartSerializer},
        description="A keeper receives the old part into one of their stores, against the signed report.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def receive(self, request: Request, pk=None) -> Response:
        old_part = self.get_queryset().filter(pk=object_id(pk)).first()
        if old_part is None:
            raise Http404
        serializer = OldPartReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        warehouse = (
            keeper_warehouses(request.user).filter(code=serializer.validated_data["warehouse"]).first()
        )
        if warehouse is None:
            raise ValidationError({"warehouse": [_("请选择入库仓库。")]})
        receive_old_part(old_part_id=old_part.pk, user=request.user, warehouse=warehouse)
        return Response(self.get_serializer(self.get_queryset().get(pk=old_part.pk)).data)
