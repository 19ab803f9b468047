"""`make backup` / `make restore` round trip on PostgreSQL: a copy restored into another database has
the same tickets and uploaded files, and the app serves it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.db import connection

from accounts.models import Role
from tests.conftest import require
from tests.tickets.factories import ServiceReportFactory, signature_png

ROOT = Path(__file__).resolve().parents[1]


def database_url(name: str) -> str:
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    )


def manage(*args: str, database: str, media: Path, tmp_path: Path, environment: dict | None = None) -> str:
    """manage.py in its own process on `database`, with the files in `media` or, by `environment`
    (STORAGE_URL…), in a bucket."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "MEDIA_ROOT": str(media),
        "SECRET_KEY": "backup-test",
        "ALLOWED_HOSTS": "testserver",
        "AFTERSALES_VAR_DIR": str(tmp_path / "var"),
        **(environment or {}),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def restored_database():
    require(connection.vendor == "postgresql", "PostgreSQL: set DATABASE_URL=postgres://…")
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_backup_and_restore_round_trip(
    reference_data, restored_database, settings, tmp_path, persona, branch_a
):
    media = Path(settings.MEDIA_ROOT)
    report = ServiceReportFactory(
        signed=True, ticket__number="SH-20261127-0042", ticket__unit__owner__branch=branch_a
    )
    report.signature.save("sig.png", ContentFile(signature_png()), save=True)
    supervisor = persona(Role.SUPERVISOR)
    source = connection.settings_dict["NAME"]

    manage("backup", "--to", str(tmp_path / "backup"), database=source, media=media, tmp_path=tmp_path)
    restored_media = tmp_path / "restored-media"
    manage(
        "restore",
        str(tmp_path / "backup"),
        "--no-input",
        database=restored_database,
        media=restored_media,
        tmp_path=tmp_path,
    )

    probe = (
        "from django.conf import settings;"
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}};"  # no collectstatic here
        "from django.test import Client; from accounts.models import User; from tickets.models import RepairTicket, ServiceReport;"
        f"c = Client(); c.force_login(User.objects.get(username='{supervisor.username}'));"
        "page = c.get('/tickets/?state=open');"
        "print(page.status_code, 'SH-20261127-0042' in page.content.decode(), ServiceReport.objects.get().signature.name)"
    )
    output = manage("shell", "-c", probe, database=restored_database, media=restored_media, tmp_path=tmp_path)
    status, listed, signature = output.strip().splitlines()[-1].split()
    assert (status, listed) == ("200", "True")
    assert (restored_media / signature).read_bytes() == (media / report.signature.name).read_bytes()
