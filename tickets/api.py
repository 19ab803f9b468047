from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from customers.models import FaultCategory, Unit
from tickets.access import access_ticket
from tickets.forms import TicketFilterForm
from tickets.models import Channel, FaultCause, Priority, RepairTicket, TicketEvent
from tickets.permissions import TRANSITION_ACTORS
from tickets.services import (
    CallDetails,
    InvalidTransitionInput,
    TicketActionError,
    apply_transition,
    log_call,
)
from tickets.views import filtered_tickets
from warranty.rules import ALL_CONDITIONS


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = TicketEvent
        fields = ["at", "actor", "action", "from_state", "to_state", "note"]


class TicketSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    serial_number = serializers.CharField(source="unit.serial_number", read_only=True)
    branch = serializers.CharField(source="branch.code", read_only=True)
    technician = serializers.PrimaryKeyRelatedField(read_only=True)

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


class TicketDetailSerializer(TicketSerializer):
    events = TicketEventSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events"]
        read_only_fields = fields


class TicketCreateSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.select_related("owner", "product_model__warranty_policy")
    )
    fault_category = serializers.ChoiceField(choices=FaultCategory.choices)
    fault_description = serializers.CharField(max_length=2000)
    fault_cause = serializers.ChoiceField(choices=FaultCause.choices, default=FaultCause.QUALITY)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(ALL_CONDITIONS)), default=list
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)


class TransitionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you saw; a stale one answers 409."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    technician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer

    def get_queryset(self):
        return RepairTicket.objects.visible_to(self.request.user).for_list()

    def list(self, request: Request, *args, **kwargs) -> Response:
        form = TicketFilterForm(request.query_params or None, user=request.user)
        if form.is_bound and not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        page = self.paginate_queryset(filtered_tickets(request.user, form))
        return self.get_paginated_response(TicketSerializer(page, many=True).data)

    @extend_schema(responses=TicketDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        ticket = access_ticket(request.user, int(pk), queryset=RepairTicket.objects.for_detail())
        return Response(TicketDetailSerializer(ticket).data)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        serializer = TicketCreateSerializer(data=request.data)
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
        try:
            ticket = log_call(user=request.user, unit=data["unit"], details=details)
        except InvalidTransitionInput as exc:
            return Response({exc.field: [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses={200: TicketSerializer})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        ticket = access_ticket(request.user, int(pk))
        if name not in TRANSITION_ACTORS:
            return Response({"detail": f"unknown transition {name!r}"}, status=status.HTTP_404_NOT_FOUND)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            ticket = apply_transition(
                ticket_id=ticket.pk,
                user=request.user,
                name=name,
                expected_version=data.get("version"),
                technician=data.get("technician"),
                note=data["note"],
            )
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except InvalidTransitionInput as exc:
            return Response({exc.field: [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except TicketActionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(TicketSerializer(ticket).data)
