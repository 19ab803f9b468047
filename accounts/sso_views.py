"""The ways in beside the password form (issue #21): OpenID Connect and 企业微信. Each answers 404
while it is not configured. The login itself is Django's (authenticate, login), so user_logged_in and
user_login_failed fire as for a password."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Django's login form, with the buttons of the configured single sign-on beside it."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sso_oidc=bool(settings.OIDC_RP_CLIENT_ID),
            sso_wecom=bool(settings.WECOM_CORP_ID),
            sso_ldap=bool(settings.LDAP_SERVER_URI),
            **kwargs,
        )


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not settings.OIDC_RP_CLIENT_ID:
        raise Http404
    return OIDCAuthenticationRequestView.as_view()(request)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    @property
    def failure_url(self) -> str:
        return reverse("login")

    def get(self, request):
        # A forged or replayed answer (bad signature, another audience, unknown state) is logged and the
        # person sent back to the login page, like any other failure.
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            logger.warning("OpenID Connect login refused: %s", error)
            return self.login_failure()

    def login_failure(self):
        messages.error(self.request, _("单点登录未成功,请重试,或使用用户名和密码登录。"))
        return super().login_failure()


def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not settings.OIDC_RP_CLIENT_ID:
        raise Http404
    return OidcCallbackView.as_view()(request)


@require_GET
def wecom_start(request: HttpRequest) -> HttpResponse:
    """To WeCom: its OAuth page inside the WeCom app (its browser says `wxwork`), else its QR code page."""
    if not settings.WECOM_CORP_ID:
        raise Http404
    state = secrets.token_urlsafe(24)
    request.session["wecom_login"] = {"state": state, "next": _safe_next(request)}
    redirect_uri = request.build_absolute_uri(reverse("accounts:wecom_callback"))
    if "wxwork" in request.headers.get("User-Agent", "").lower():
        query = urlencode(
            {
                "appid": settings.WECOM_CORP_ID,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
                "agentid": settings.WECOM_AGENT_ID,
            }
        )
        return redirect(f"{settings.WECOM_OAUTH_URL}?{query}#wechat_redirect")
    query = urlencode(
        {
            "login_type": "CorpApp",
            "appid": settings.WECOM_CORP_ID,
            "agentid": settings.WECOM_AGENT_ID,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return redirect(f"{settings.WECOM_QR_LOGIN_URL}?{query}")


@require_GET
def wecom_callback(request: HttpRequest) -> HttpResponse:
    if not settings.WECOM_CORP_ID:
        raise Http404
    started = request.session.pop("wecom_login", None) or {}
    code = request.GET.get("code", "")
    if not code or not started or not constant_time_compare(started["state"], request.GET.get("state", "")):
        messages.error(request, _("企业微信登录未完成,请重新扫码或点击登录。"))
        return redirect("login")
    user = authenticate(request, wecom_code=code)
    if user is None:
        messages.error(
            request,
            getattr(request, "sso_refusal", None) or _("企业微信登录未成功,请重试,或使用用户名和密码登录。"),
        )
        return redirect("login")
    login(request, user)
    return redirect(started["next"] or resolve_url(settings.LOGIN_REDIRECT_URL))
