"""Read-only API for the technician's tablet app: the catalogue and the van's stock."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from parts.models import Part, StockLevel
from parts.services import van_of


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


@extend_schema(parameters=[OpenApiParameter("search", str, description="code, name or specification")])
class PartList(generics.ListAPIView):
    """The active catalogue (配件目录) for the technician's tablet: no cost price, which only the roles of
    `parts.permissions.COST_PRICE_VIEWERS` see, in the office."""

    serializer_class = PartSerializer

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

    def get_queryset(self):
        van = van_of(self.request.user)
        if van is None:
            return StockLevel.objects.none()
        return (
            StockLevel.objects.filter(warehouse=van, on_hand__gt=0)
            .select_related("warehouse", "part__supplier")
            .prefetch_related("part__compatible_models")
            .order_by("part__code")
        )
