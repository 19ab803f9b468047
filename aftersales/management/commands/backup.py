"""`make backup`: the database (pg_dump custom format, or SQLite's online backup) and the uploaded files
(signatures, photos, attachments) into one directory under var/backups/, with a manifest."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone


def pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore from Django's settings (password via the environment)."""
    db = settings.DATABASES["default"]
    options = [
        "-h",
        db.get("HOST") or "127.0.0.1",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db.get("USER") or "postgres",
    ]
    env = {"PGPASSWORD": db.get("PASSWORD") or ""}
    return options, env


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into var/backups/<timestamp>/."

    def add_arguments(self, parser):
        parser.add_argument("--to", help="directory to write (default: var/backups/<timestamp>)")

    def handle(self, *args, to: str | None = None, **options) -> None:
        import os

        target = (
            Path(to) if to else settings.VAR_DIR / "backups" / timezone.localtime().strftime("%Y%m%d-%H%M%S")
        )
        target.mkdir(parents=True, exist_ok=False)
        db = settings.DATABASES["default"]
        if connection.vendor == "postgresql":
            options_, env = pg_environment()
            subprocess.run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    *options_,
                    "-f",
                    str(target / "database.dump"),
                    db["NAME"],
                ],
                check=True,
                env={**os.environ, **env},
            )
            database = "database.dump"
        else:
            with sqlite3.connect(db["NAME"]) as source, sqlite3.connect(target / "database.sqlite3") as copy:
                source.backup(copy)
            database = "database.sqlite3"
        media = Path(settings.MEDIA_ROOT)
        with tarfile.open(target / "media.tar.gz", "w:gz") as archive:
            if media.exists():
                archive.add(media, arcname="media")
        manifest = {
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "database": database,
        }
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target}"))
