"""`make restore BACKUP=<dir>`: put a backup made by `manage.py backup` back, replacing the database's
content and the uploaded files (in the media directory or the bucket, whichever STORAGE_URL chooses)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from aftersales.management.commands.backup import pg_environment, storage_label, stored_names


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
            answer = input(
                f"Replace everything in database {db['NAME']} and {storage_label(default_storage)}? [y/N] "
            )
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
        restored = restore_files(source / "media.tar.gz")
        self.stdout.write(f"{restored} files put back into {storage_label(default_storage)}")
        self.stdout.write(self.style.SUCCESS(f"Restored {source}"))


def restore_files(archive_path: Path) -> int:
    """The files of the archive written into the storage under their own names, and every file the
    backup did not have removed; the number of files written. A file is written over by deleting it
    first: the storage would otherwise save the backup's copy under a new name."""
    names = set()
    with tarfile.open(archive_path) as archive:
        for member in archive:
            if not (member.isfile() and member.name.startswith("media/")):
                continue
            name = member.name.removeprefix("media/")
            # The storage refuses a name that leaves it (`../x`, an absolute path), as on upload.
            if default_storage.exists(name):
                default_storage.delete(name)
            saved = default_storage.save(name, File(archive.extractfile(member), name=name))
            if saved != name:
                raise CommandError(f"{name} was written as {saved}: is another process writing files?")
            names.add(name)
    for name in list(stored_names(default_storage)):
        if name not in names:
            default_storage.delete(name)
    return len(names)
