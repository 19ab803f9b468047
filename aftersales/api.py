"""Shared API plumbing: token login and an exception handler that never answers 500 for bad input."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


@extend_schema(
    request=AuthTokenSerializer,
    responses={
        200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
        429: inline_serializer("LockedOut", {"detail": serializers.CharField()}),
    },
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def obtain_token(request: Request) -> Response:
    serializer = AuthTokenSerializer(data=request.data, context={"request": request})
    if not serializer.is_valid():
        if getattr(request, "axes_locked_out", False):  # set by django-axes on this request
            return Response(
                {"detail": _("登录失败次数过多,该账户在本机已暂时锁定,请稍后再试。")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
    token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
    return Response({"token": token.key})
