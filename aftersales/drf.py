"""What every API operation shares: the error handler (the app's errors as 400/409) and the schema hooks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from aftersales.errors import Conflict, UserError

ERROR_SERIALIZER = inline_serializer("Error", {"detail": serializers.CharField()})


def exception_handler(exc, context):
    """DRF's handler, plus the app's own errors: `UserError` is 400 (under its field's name when it
    names one), `Conflict` 409; a service's PermissionDenied is 403 and Http404 is 404."""
    if isinstance(exc, UserError):
        body = {exc.field: [str(exc)]} if exc.field else {"detail": str(exc)}
        return Response(
            body,
            status=status.HTTP_409_CONFLICT if isinstance(exc, Conflict) else status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
GUARDED_WRITE = (
    "A UUID made by the client once per intent (accounts/idempotency.py). The same key with the same body "
    "returns the first answer without writing again (a resend after a lost answer); the same key with "
    "another body, path or user is refused with 409. Without it the write is carried out unguarded."
)
NOT_REPLAYED = (
    "Accepted and not used: this operation writes nothing a resend could double (a read sent as POST, a "
    "new secret that is never stored to be replayed, a revocation), so it is not replayed."
)


class AutoSchema(SpectacularAutoSchema):
    """Every API write declares the `Idempotency-Key` header (one write per intent, issue #14), in one
    place so that a new write view cannot leave it out; it says whether the operation replays a resend
    (its handler is `@idempotent`) or has nothing to replay."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method not in WRITE_METHODS:
            return parameters
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        header = OpenApiParameter(
            name=IDEMPOTENCY_HEADER,
            type=OpenApiTypes.UUID,
            location=OpenApiParameter.HEADER,
            required=False,
            description=GUARDED_WRITE if getattr(handler, "idempotent", False) else NOT_REPLAYED,
        )
        return [*parameters, header]


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_SCHEMA = {
    "type": "object",
    "description": "Field name → list of messages (Chinese), or `detail` / `non_field_errors`.",
    "additionalProperties": True,
}
ERROR_RESPONSES = {
    "400": (gettext_lazy("请求数据有误(按字段列出)"), VALIDATION_SCHEMA),
    "403": (gettext_lazy("未登录,或没有权限"), ERROR_SCHEMA),
    "404": (gettext_lazy("不存在,或不在您的网点范围内"), ERROR_SCHEMA),
    "409": (gettext_lazy("工单已被他人更新或状态不允许"), ERROR_SCHEMA),
    "429": (gettext_lazy("请求过于频繁"), ERROR_SCHEMA),
}


def document_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: every operation documents the errors every view can give
    (validation, permission, not found or out of scope, conflicts, throttling), so clients — and
    schemathesis — know them."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {"description": str(description), "content": {"application/json": {"schema": schema}}},
                )
    return result
