"""The user's own account: password change and reset (Django's views), API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.idempotency import idempotent
from accounts.models import ApiToken


class PasswordResetView(auth_views.PasswordResetView):
    """The link in the e-mail starts with SITE_URL, like every link we send, never with the request's Host."""

    email_template_name = "registration/password_reset_email.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": ApiToken.of_user(request.user), "token_days": settings.API_TOKEN_DAYS},
    )


@login_required
@require_POST
@idempotent
def revoke_token(request: HttpRequest) -> HttpResponse:
    token_id = request.POST.get("token", "")
    deleted = 0
    if token_id.isdigit():
        deleted, _rows = ApiToken.objects.filter(user=request.user, pk=int(token_id)).delete()
    if deleted:
        messages.success(request, _("令牌已撤销,使用它的设备或程序需要重新登录。"))
    else:
        messages.error(request, _("没有找到要撤销的令牌,它可能已经过期或被撤销。"))
    return redirect("accounts:tokens")
