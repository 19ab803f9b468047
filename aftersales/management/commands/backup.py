"""`make backup`: the database (pg_dump custom format, or SQLite's online backup) and the uploaded files
(signatures, photos, videos, attachments) into one directory under var/backups/, with a manifest.

The files are read through Django's storage API, so the same archive (media.tar.gz, every file under
media/<its name in the storage>) is written from the media directory and from an S3 bucket, and either
restores into either: `backup` on the disk, then `restore` with STORAGE_URL set, moves the files into
a bucket."""

from __future__ import annotations

import json
import posixpath
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, default_storage
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


def stored_names(storage: Storage, directory: str = "") -> Iterator[str]:
    """The name of every file in `storage`, under `directory`, at any depth."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # no media directory yet: nothing uploaded
        return
    for name in files:
        yield posixpath.join(directory, name)
    for name in directories:
        yield from stored_names(storage, posixpath.join(directory, name))


def storage_label(storage: Storage) -> str:
    """Where the uploaded files are, for an operator: the bucket (and prefix) or the media directory."""
    if bucket := getattr(storage, "bucket_name", None):
        return f"s3://{posixpath.join(bucket, storage.location)}".rstrip("/")
    return str(storage.location)


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
        files = 0
        with tarfile.open(target / "media.tar.gz", "w:gz") as archive:
            for name in stored_names(default_storage):
                with default_storage.open(name, "rb") as stored:
                    entry = tarfile.TarInfo(f"media/{name}")
                    entry.size = stored.size
                    archive.addfile(entry, stored)
                files += 1
        manifest = {
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "database": database,
            "files": files,
            "files_from": storage_label(default_storage),
        }
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {target} ({files} files from {manifest['files_from']})")
        )
