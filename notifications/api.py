"""The signed-in user's messages over the API: list (newest first, `?unread=true`), mark one or all read —
through `notifications.services.mark_read`, as the inbox page. Nobody sees anyone else's messages."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import idempotent
from aftersales.drf import (
    FIELDS_PARAMETER,
    BodyFirstMixin,
    Cursor,
    SparseFieldsMixin,
    object_id,
)
from notifications.models import Notification
from notifications.services import mark_read


class NotificationSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "link", "created_at", "read_at", "done_at"]
        read_only_fields = fields


class UnreadFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)


MARKED = inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})


@extend_schema(tags=["notifications"])
class NotificationViewSet(BodyFirstMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    pagination_class = Cursor
    default_ordering = "-created_at"

    def get_queryset(self):
        return Notification.objects.filter(recipient_id=self.request.user.pk)

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="only the unread"), FIELDS_PARAMETER]
    )
    def list(self, request: Request) -> Response:
        query = UnreadFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.get_queryset()
        if query.validated_data["unread"]:
            rows = rows.filter(read_at__isnull=True)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def read(self, request: Request, pk=None) -> Response:
        notification = self.get_queryset().filter(pk=object_id(pk)).first()
        if notification is None:
            raise Http404
        mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: MARKED})
    @action(detail=False, methods=["post"], url_path="read-all")
    @idempotent
    def read_all(self, request: Request) -> Response:
        return Response({"marked": mark_read(user=request.user)})
