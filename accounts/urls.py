from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import sso_views, views

app_name = "accounts"

urlpatterns = [
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_change_done")),
        name="password_change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/revoke/", views.revoke_token, name="revoke_token"),
    # Single sign-on (issue #21): 404 while not configured.
    path("sso/oidc/", sso_views.oidc_start, name="oidc_start"),
    path("sso/oidc/callback/", sso_views.oidc_callback, name="oidc_callback"),
    path("sso/wecom/", sso_views.wecom_start, name="wecom_start"),
    path("sso/wecom/callback/", sso_views.wecom_callback, name="wecom_callback"),
]
