"""`make restore BACKUP=<dir>`: put a backup made by `manage.py backup` back, replacing the database's
content and the uploaded files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from aftersales.management.commands.backup import pg_environment


class Command(BaseCommand):
    help = "Restore the database and uploaded files from a directory written by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup directory")
        parser.add_argument("--no-input", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, backup: str, no_input: bool, **options) -> None:
        source = Path(backup)
        manifest_path = source / "manifest.json"
        if not manifest_path.exists():
            raise CommandError(f"{source} is not a backup directory (no manifest.json)")
        manifest = json.loads(manifest_path.read_text())
        if manifest["vendor"] != connection.vendor:
            raise CommandError(f"The backup is of {manifest['vendor']}, this database is {connection.vendor}")
        db = settings.DATABASES["default"]
        if not no_input:
            answer = input(f"Replace everything in database {db['NAME']} and {settings.MEDIA_ROOT}? [y/N] ")
            if answer.strip().lower() != "y":
                raise CommandError("Restore cancelled.")
        connection.close()
        if manifest["vendor"] == "postgresql":
            options_, env = pg_environment()
            subprocess.run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *options_,
                    "-d",
                    db["NAME"],
                    str(source / manifest["database"]),
                ],
                check=True,
                env={**os.environ, **env},
            )
        else:
            with (
                sqlite3.connect(source / manifest["database"]) as copy,
                sqlite3.connect(db["NAME"]) as target,
            ):
                copy.backup(target)
        media = Path(settings.MEDIA_ROOT)
        media.parent.mkdir(parents=True, exist_ok=True)
        unpacked = Path(tempfile.mkdtemp(dir=media.parent, prefix=".restore-"))
        try:
            with tarfile.open(source / "media.tar.gz") as archive:
                archive.extractall(unpacked, filter="data")
            if media.exists():
                shutil.rmtree(media)
            if (unpacked / "media").exists():
                (unpacked / "media").rename(media)
            else:
                media.mkdir()
        finally:
            shutil.rmtree(unpacked, ignore_errors=True)
        self.stdout.write(self.style.SUCCESS(f"Restored {source}"))
