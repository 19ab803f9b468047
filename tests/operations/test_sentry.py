"""Sentry (issue #20): with SENTRY_DSN an exception in a view reaches the server the DSN names (here a
local fake receiving the envelopes), without personal data; without it sentry-sdk is not even imported."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler

try:
    import brotli
except ImportError:  # then sentry-sdk compresses with gzip
    brotli = None

from tests.fake_http import serving
from tests.operations.conftest import ROOT

FAIL_A_VIEW = """
import django
django.setup()
from django.conf import settings
from django.test import Client
import sentry_sdk
settings.ROOT_URLCONF = "tests.operations.urls"
client = Client(raise_request_exception=False, HTTP_HOST="localhost")
client.cookies["sessionid"] = "secret-session-value"
print(client.get("/fail", HTTP_X_REQUEST_ID="req-sentry").status_code)
sentry_sdk.flush(timeout=10)
"""


class SentryReceiver(BaseHTTPRequestHandler):
    envelopes: list[tuple[str, str]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding in ("gzip", "br"):  # sentry-sdk sends brotli where the module is installed
            body = gzip.decompress(body) if encoding == "gzip" else brotli.decompress(body)
        self.envelopes.append((self.path, body.decode(errors="replace")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def run(script: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env
        | {"SECRET_KEY": "sentry-tests", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
        | environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_exception_in_a_view_reaches_sentry_without_personal_data():
    SentryReceiver.envelopes.clear()
    with serving(SentryReceiver) as base:
        host = base.removeprefix("http://")
        result = run(
            FAIL_A_VIEW,
            SENTRY_DSN=f"http://publickey@{host}/42",
            SENTRY_ENVIRONMENT="ops-test",
            SENTRY_RELEASE="aftersales@20.2",
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "500"
    events = [body for path, body in SentryReceiver.envelopes if path.startswith("/api/42/envelope/")]
    (event,) = [body for body in events if "ZeroDivisionError" in body]
    assert "a view that fails on purpose" in event
    assert '"environment":"ops-test"' in event.replace(" ", "")
    assert '"release":"aftersales@20.2"' in event.replace(" ", "")
    assert '"request_id":"req-sentry"' in event.replace(" ", "")  # the same id as the request's log lines
    assert "secret-session-value" not in event  # send_default_pii=False: no cookies, no user


def test_without_a_dsn_sentry_is_not_imported():
    result = run("import django, sys\ndjango.setup()\nprint('sentry_sdk' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "False"
