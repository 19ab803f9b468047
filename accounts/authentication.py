"""API authentication by `Authorization: Token <key>` against accounts.ApiToken."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing; the key is looked up by its digest, and an expired token, one issued
    before the last password change or one of a deactivated user is refused."""

    def authenticate_credentials(self, key: str):
        token = ApiToken.for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已被撤销,请重新登录获取令牌。"))
        return token.user, token
