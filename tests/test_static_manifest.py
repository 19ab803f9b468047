"""Pages and the technician's service worker under the production storage of static files: collected,
with a manifest of hashed names (the other tests serve the source tree, tests/conftest.py). The worker
answered 500 there, and only there: its code asked the manifest for the name ""."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


@pytest.mark.django_db
def test_the_service_worker_and_a_page_name_the_collected_files(client, collected, technician):
    client.force_login(technician)
    worker = client.get(reverse("service_worker"))
    assert worker.status_code == 200
    body = worker.content.decode()
    assert 'var STATIC_PREFIX = "/static/"' in body
    hashed = [
        name for name in (collected / "staticfiles.json").read_text().split('"') if name.endswith(".js")
    ]
    assert any(name in body for name in hashed), "the worker keeps the files by their hashed names"
    assert client.get(reverse("tickets:my_jobs")).status_code == 200
    assert client.get("/favicon.ico")["Location"].startswith("/static/img/icon-192.")
