"""The technician's app installed on the tablet (PWA): the web app manifest and the service worker.

Both are served from the site root so that the worker's scope is "/" and covers 我的任务, the jobs,
their report steps and the van stock. The worker is a template because it lists the static files it
keeps, by the names the static storage gives them (hashed in production).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

# What every field page needs to open with no network.
OFFLINE_ASSETS = [
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "vendor/signature_pad/signature_pad.umd.min.js",
    "css/app.css",
    "js/app.js",
    "js/outbox.js",
    "js/report.js",
    "js/scanner.js",
    "vendor/zxing/zxing-library.min.js",
    "img/icon-192.png",
]


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": _("售后服务 · 技术员"),
            "short_name": _("售后服务"),
            "lang": "zh-CN",
            "start_url": reverse("tickets:my_jobs"),
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "background_color": "#ffffff",
            "theme_color": "#212529",
            "icons": [
                {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {
                    "src": static("img/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any",
                },
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    assets = [static(name) for name in OFFLINE_ASSETS]
    body = render_to_string(
        "tickets/pwa/service_worker.js",
        {
            "assets": json.dumps(assets),
            # Not static(""): the production storage's manifest has no entry for "" (a 500 on every
            # request of the worker, so no offline app, wherever static files were collected).
            "static_prefix": json.dumps(settings.STATIC_URL),
            # A new list of files (a deploy) is a new worker, which drops the old files' cache.
            "version": hashlib.sha256("\n".join(assets).encode()).hexdigest()[:12],
            "not_cached": json.dumps(_("这个页面今天还没有在本机打开过,断网时无法显示。请联网后再打开。")),
            "my_jobs": json.dumps(reverse("tickets:my_jobs")),
            "my_jobs_label": json.dumps(_("我的任务"), ensure_ascii=False),
            "offline_title": json.dumps(_("离线"), ensure_ascii=False),
            "catalog": json.dumps(reverse("javascript-catalog")),
            "lang": json.dumps(get_language()),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for on pages without an icon of their own (the admin's): the app's
    icon, not a 404 in the log."""
    return HttpResponsePermanentRedirect(static("img/icon-192.png"))
