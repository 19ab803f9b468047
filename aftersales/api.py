"""Shared API plumbing: API tokens (issue, revoke) and an exception handler that never answers 500 for
bad input."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.authentication import ApiTokenAuthentication
from accounts.models import ApiToken

ERROR_SERIALIZER = inline_serializer("Error", {"detail": serializers.CharField()})


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class TokenView(APIView):
    """POST: a new token for a user name and password (django-axes counts the failures); each device or
    program gets its own, valid for API_TOKEN_DAYS. DELETE: revoke the token the request came with."""

    def revoking(self) -> bool:
        return self.request is not None and self.request.method == "DELETE"  # None: the schema generator

    def get_authenticators(self):
        return [ApiTokenAuthentication()] if self.revoking() else []

    def get_permissions(self):
        return [IsAuthenticated()] if self.revoking() else [AllowAny()]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse", {"token": serializers.CharField(), "expires": serializers.DateTimeField()}
            ),
            429: inline_serializer("LockedOut", {"detail": serializers.CharField()}),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):  # set by django-axes on this request
                return Response(
                    {"detail": _("登录失败次数过多,该账户在本机已暂时锁定,请稍后再试。")},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        token, key = ApiToken.issue(
            serializer.validated_data["user"], client=request.headers.get("User-Agent", "")
        )
        return Response({"token": key, "expires": token.expires_at})

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="令牌已撤销"),
            401: OpenApiResponse(ERROR_SERIALIZER, description="没有令牌,或令牌无效、已过期或已被撤销"),
        },
        auth=[{"tokenAuth": []}],
    )
    def delete(self, request: Request) -> Response:
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    "400": ("请求数据有误(按字段列出)", VALIDATION_SCHEMA),
    "403": ("未登录,或没有权限", ERROR_SCHEMA),
    "404": ("不存在,或不在您的网点范围内", ERROR_SCHEMA),
    "409": ("工单已被他人更新或状态不允许", ERROR_SCHEMA),
    "429": ("请求过于频繁", ERROR_SCHEMA),
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
                    code, {"description": description, "content": {"application/json": {"schema": schema}}}
                )
    return result
