"""The API's sign-in: a token per device or program (accounts.ApiToken), and revoking it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from accounts.models import ApiToken
from aftersales.drf import error_response


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
        },
        examples=[
            OpenApiExample(
                "the ERP's account", value={"username": "erp_sync", "password": "********"}, request_only=True
            )
        ],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):  # set by django-axes on this request
                return error_response(
                    _("登录失败次数过多,该账户在本机已暂时锁定,请稍后再试。"),
                    code="locked_out",
                    status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise ValidationError(serializer.errors)
        token, key = ApiToken.issue(
            serializer.validated_data["user"], client=request.headers.get("User-Agent", "")
        )
        return Response({"token": key, "expires": token.expires_at})

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description=gettext_lazy("令牌已撤销")),
            401: OpenApiResponse(description=gettext_lazy("没有令牌,或令牌无效、已过期或已被撤销")),
        },
        auth=[{"tokenAuth": []}],
    )
    def delete(self, request: Request) -> Response:
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
