"""What every API operation shares: the error handler (the app's errors as 400/409) and the schema hooks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import inline_serializer
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
