"""Customers and units over the API: find (a phone number in any form, a serial number, a name), create,
and correct with a history row — through the screens' forms (the same rules and messages) and services
(`register_customer`, `register_unit`, `edit_customer`, `edit_unit`), with the screens' permissions:
everyone reads the customers of their scope, the dispatcher registers (叫修登记), the office edits."""

from __future__ import annotations

import copy
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.drf import (
    FIELDS_PARAMETER,
    BodyFirstMixin,
    Cursor,
    SparseFieldsMixin,
    form_errors,
    object_id,
    ordering_parameter,
)
from aftersales.errors import Conflict
from customers.forms import CustomerEditForm, NewCustomerForm, NewUnitForm, UnitEditForm
from customers.models import Customer, CustomerChange, ProductModel, ServiceZone, Unit
from customers.selectors import matching_customers
from customers.services import edit_customer, edit_unit, may_edit_customer, register_customer, register_unit


class UnitSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    product_model = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product_name = serializers.CharField(source="product_model.name", read_only=True)
    dealer = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "owner",
            "product_model",
            "product_name",
            "serial_number",
            "purchase_date",
            "purchase_place",
            "sales_channel",
            "dealer",
            "warranty_card_no",
            "created_at",
        ]
        read_only_fields = fields


class CustomerSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code", read_only=True)
    phones = serializers.SerializerMethodField(
        help_text="Normal form: digits only, landlines with area code."
    )
    units = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "kind",
            "phones",
            "contact_person",
            "address",
            "service_zone",
            "distance_km",
            "branch",
            "notes",
            "units",
            "created_at",
        ]
        read_only_fields = fields

    def get_phones(self, customer: Customer) -> list[str]:
        return [phone.number for phone in customer.phones.all()]

    def get_units(self, customer: Customer) -> list[int]:
        return [unit.pk for unit in customer.units.all()]


class CustomerChangeSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()
    changes = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))

    class Meta:
        model = CustomerChange
        fields = ["at", "actor", "unit", "changes"]
        read_only_fields = fields


DISTANCE = {"max_digits": 7, "decimal_places": 1, "min_value": Decimal(0), "max_value": Decimal("99999.9")}


class CustomerCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    phone = serializers.CharField(
        max_length=30, help_text="Any form: 138-0013-8000, +86 13800138000, 021 6123 4567"
    )
    contact_person = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200)
    service_zone = serializers.ChoiceField(choices=ServiceZone.choices, default=ServiceZone.CITY)
    distance_km = serializers.DecimalField(**DISTANCE, default=Decimal(0))


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "a new number",
            value={"phones": ["13800138000", "021 6123 4567"], "contact_person": "王先生"},
            request_only=True,
        )
    ]
)
class CustomerEditSerializer(serializers.Serializer):
    """Only the fields given change; `phones` replaces the list of numbers."""

    name = serializers.CharField(max_length=100, required=False)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    phones = serializers.ListField(
        child=serializers.CharField(max_length=30), min_length=1, max_length=10, required=False
    )
    contact_person = serializers.CharField(max_length=50, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False)
    service_zone = serializers.ChoiceField(choices=ServiceZone.choices, required=False)
    distance_km = serializers.DecimalField(**DISTANCE, required=False)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class UnitCreateSerializer(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1, max_value=2_147_483_647, help_text="the customer's id")
    product_model = serializers.SlugRelatedField(slug_field="code", queryset=ProductModel.objects.all())
    serial_number = serializers.CharField(max_length=60)
    purchase_date = serializers.DateField(required=False, allow_null=True, default=None)
    purchase_place = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    sales_channel = serializers.ChoiceField(
        choices=Unit.SalesChannel.choices, default=Unit.SalesChannel.DIRECT
    )
    warranty_card_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "the invoice found",
            value={"purchase_date": "2026-03-15", "purchase_place": "京东自营"},
            request_only=True,
        )
    ]
)
class UnitEditSerializer(serializers.Serializer):
    purchase_date = serializers.DateField(required=False, allow_null=True)
    purchase_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sales_channel = serializers.ChoiceField(choices=Unit.SalesChannel.choices, required=False)
    dealer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2_147_483_647)
    warranty_card_no = serializers.CharField(max_length=40, required=False, allow_blank=True)


def _valid(serializer_class, request: Request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _check_registrar(user) -> None:
    """As the intake screen: only the dispatcher registers customers and units (叫修登记)."""
    if not user.has_role(Role.DISPATCHER):
        raise PermissionDenied(_("只有客服/调度可以登记报修。"))


def _editable(user, customer: Customer) -> None:
    if not may_edit_customer(user, customer):
        raise PermissionDenied(_("只有本网点的客服/调度和服务主任可以修改客户资料。"))


def _form_value(value):
    return "" if value is None else value


@extend_schema(tags=["customers"])
class CustomerViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    pagination_class = Cursor
    ordering_fields = ("name", "created_at")
    default_ordering = "name"

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user).select_related("branch").with_phones_and_units()

    def _customer(self, pk) -> Customer:
        try:
            return self.get_queryset().get(pk=object_id(pk))
        except Customer.DoesNotExist as exc:
            raise Http404 from exc

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="a phone number in any form (or its start), a serial number (or its start), a name",
            ),
            ordering_parameter("name", "created_at"),
            FIELDS_PARAMETER,
        ],
    )
    def list(self, request: Request) -> Response:
        query = serializers.CharField(max_length=100, required=False, allow_blank=True).run_validation(
            request.query_params.get("q", "")
        )
        customers = (
            matching_customers(request.user, query).select_related("branch").with_phones_and_units()
            if query.strip()
            else self.get_queryset()
        )
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(self.get_serializer(self._customer(pk)).data)

    @extend_schema(
        request=CustomerCreateSerializer,
        responses={201: CustomerSerializer},
        description="Register a customer in the caller's branch (dispatchers, as at the intake).",
        examples=[
            OpenApiExample(
                "a person",
                request_only=True,
                value={"name": "王芳", "phone": "138 0013 8000", "address": "浦东新区张江路 1 号"},
            )
        ],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        _check_registrar(request.user)
        data = _valid(CustomerCreateSerializer, request)
        form = NewCustomerForm(data={name: _form_value(value) for name, value in data.items()})
        if not form.is_valid():
            raise form_errors(form)
        if request.user.branch_id is None:
            raise Conflict(_("您的账户未分配网点,不能新建客户。"))
        customer = register_customer(branch=request.user.branch, **form.cleaned_data)
        return Response(self.get_serializer(self._customer(customer.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CustomerEditSerializer,
        responses={200: CustomerSerializer},
        description="Correct the customer's details; a history row records what changed (dispatcher, "
        "supervisor of the branch).",
    )
    @idempotent
    def partial_update(self, request: Request, pk=None) -> Response:
        customer = self._customer(pk)
        _editable(request.user, customer)
        changes = _valid(CustomerEditSerializer, request)
        current = {
            name: getattr(customer, name) for name in CustomerEditForm._meta.fields if name != "phones"
        }
        current["phones"] = "\n".join(phone.number for phone in customer.phones.all())
        if "phones" in changes:
            changes["phones"] = "\n".join(changes["phones"])
        form = CustomerEditForm(
            data={name: _form_value(value) for name, value in {**current, **changes}.items()}
        )
        if not form.is_valid():
            raise form_errors(form)
        fields = {name: value for name, value in form.cleaned_data.items() if name != "phones"}
        edit_customer(
            user=request.user, customer_id=customer.pk, fields=fields, phones=form.cleaned_data["phones"]
        )
        return Response(self.get_serializer(self._customer(customer.pk)).data)

    @extend_schema(responses={200: CustomerChangeSerializer(many=True)}, description="The edit history.")
    @action(detail=True, methods=["get"], pagination_class=None)
    def changes(self, request: Request, pk=None) -> Response:
        customer = self._customer(pk)
        rows = customer.changes.select_related("actor").order_by("-at", "-pk")[:200]
        return Response(CustomerChangeSerializer(rows, many=True).data)


@extend_schema(tags=["customers"])
class UnitViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    serializer_class = UnitSerializer
    pagination_class = Cursor
    ordering_fields = ("serial_number", "created_at")
    default_ordering = "-created_at"

    def get_queryset(self):
        return Unit.objects.filter(owner__in=Customer.objects.visible_to(self.request.user)).select_related(
            "product_model"
        )

    def _unit(self, pk) -> Unit:
        try:
            return self.get_queryset().select_related("owner").get(pk=object_id(pk))
        except Unit.DoesNotExist as exc:
            raise Http404 from exc

    @extend_schema(
        parameters=[
            OpenApiParameter("serial", str, description="the serial number, or its start (any case)"),
            OpenApiParameter("owner", int, description="the customer's id"),
            ordering_parameter("serial_number", "created_at"),
            FIELDS_PARAMETER,
        ],
    )
    def list(self, request: Request) -> Response:
        serial = serializers.CharField(max_length=60, required=False, allow_blank=True).run_validation(
            request.query_params.get("serial", "")
        )
        units = self.get_queryset()
        if serial.strip():
            units = units.filter(serial_number__startswith=serial.strip().upper())
        if "owner" in request.query_params:
            owner = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
            try:
                units = units.filter(owner_id=owner.run_validation(request.query_params["owner"]))
            except ValidationError as exc:
                raise ValidationError({"owner": exc.detail}) from exc
        page = self.paginate_queryset(units)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(self.get_serializer(self._unit(pk)).data)

    @extend_schema(
        request=UnitCreateSerializer,
        responses={201: UnitSerializer},
        description="Register a unit of a customer (dispatchers, as at the intake).",
        examples=[
            OpenApiExample(
                "a unit",
                request_only=True,
                value={"owner": 12, "product_model": "KFR-35GW", "serial_number": "SN2026000123"},
            )
        ],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        _check_registrar(request.user)
        data = _valid(UnitCreateSerializer, request)
        owner = Customer.objects.visible_to(request.user).filter(pk=data.pop("owner")).first()
        if owner is None:
            raise ValidationError({"owner": [_("客户不存在,或不在您的网点范围内。")]})
        data["product_model"] = data["product_model"].pk
        form = NewUnitForm(data={name: _form_value(value) for name, value in data.items()})
        if not form.is_valid():
            raise form_errors(form)
        unit = register_unit(owner=owner, **form.cleaned_data)
        return Response(self.get_serializer(self._unit(unit.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UnitEditSerializer,
        responses={200: UnitSerializer},
        description="Correct a unit's details, with a history row on its owner's file.",
    )
    @idempotent
    def partial_update(self, request: Request, pk=None) -> Response:
        unit = self._unit(pk)
        _editable(request.user, unit.owner)
        changes = _valid(UnitEditSerializer, request)
        current = {name: getattr(unit, name) for name in UnitEditForm._meta.fields if name != "dealer"}
        current["dealer"] = unit.dealer_id
        form = UnitEditForm(
            data={name: _form_value(value) for name, value in {**current, **changes}.items()},
            instance=copy.copy(unit),  # the answer shows what the service saved, not the form's copy
        )
        if not form.is_valid():
            raise form_errors(form)
        edit_unit(user=request.user, unit_id=unit.pk, fields=form.cleaned_data)
        return Response(self.get_serializer(self._unit(unit.pk)).data)
