import time

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import cache_page, never_cache
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import sso_views
from accounts.api import TokenView
from aftersales import operations
from claims.api import ClaimViewSet, FeeViewSet
from customers.api import CustomerViewSet, UnitViewSet
from notifications.api import NotificationViewSet
from parts.api import OldPartViewSet, ReceivingNoteViewSet, RequisitionViewSet
from surveys.api import ComplaintViewSet, FollowUpCallViewSet
from tickets import pwa_views
from tickets import views as ticket_views
from tickets.api import TicketViewSet

# /jsi18n/ is the same for every reader of a language until the next deploy: built once per language and
# kept in the cache (cache_page keys it by the request's language); the prefix names this start of the
# server, so that a deploy with new translations is never answered from an older catalogue. Browsers are
# told not to keep it (never_cache): its address does not name the language, and a reader may switch.
CATALOG_CACHE_PREFIX = f"jsi18n-{time.time_ns()}"
javascript_catalog = never_cache(
    cache_page(60 * 60 * 24, key_prefix=CATALOG_CACHE_PREFIX)(JavaScriptCatalog.as_view())
)

router = DefaultRouter(trailing_slash=False)
router.register("tickets", TicketViewSet, basename="ticket")
router.register("customers", CustomerViewSet, basename="customer")
router.register("units", UnitViewSet, basename="unit")
router.register("follow-up-calls", FollowUpCallViewSet, basename="follow-up-call")
router.register("claims", ClaimViewSet, basename="claim")
router.register("fees", FeeViewSet, basename="fee")
router.register("receiving-notes", ReceivingNoteViewSet, basename="receiving-note")
router.register("old-parts", OldPartViewSet, basename="old-part")
router.register("requisitions", RequisitionViewSet, basename="requisition")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("complaints", ComplaintViewSet, basename="complaint")

api_v1 = [
    path("auth/token", TokenView.as_view(), name="api-token"),
    path("", include("warranty.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("parts.api_urls")),
    path("", include("reports.api_urls")),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", ticket_views.home, name="home"),
    # For machines (aftersales.operations): liveness, readiness and the Prometheus scrape, without login.
    path("healthz", operations.healthz, name="healthz"),
    path("readyz", operations.readyz, name="readyz"),
    path("metrics", operations.metrics, name="metrics"),
    # At the root, so that the service worker's scope covers every page of the technician's app.
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("favicon.ico", pwa_views.favicon, name="favicon"),
    path("login/", sso_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The texts of static/js in the reader's language (djangojs.po), loaded by a script tag (no inline
    # script: CSP) before the page's scripts, and kept by the service worker for offline pages.
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("tickets/", include("tickets.urls")),
    path("customers/", include("customers.urls")),
    path("customers/", include("tickets.history_urls")),
    path("warranty/", include("warranty.urls")),
    # Claims, fees and approvals kept the addresses they had when they lived in the warranty app.
    path("warranty/", include("claims.urls")),
    path("parts/", include("parts.urls")),
    path("surveys/", include("surveys.urls")),
    # The customer's own channel (issue #17): short, for texted links and QR labels.
    path("p/", include("portal.urls")),
    path("reports/", include("reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's script comes from a file (the split view); it still sets one inline style.
    path(
        "api/docs",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

# A missing page inside the customer's channel (/p/) answers in the channel; elsewhere Django's 404.html.
handler404 = "portal.views.not_found"
