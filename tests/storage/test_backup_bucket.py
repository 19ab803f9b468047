"""`make backup` / `make restore` with the files in a bucket (issue #20 item 1): the backup holds every
object, a restore into another database and bucket puts them back under their names and removes what
the backup did not have, and the restored app serves them; a backup of the media directory restores
into a bucket (moving a deployment from the disk to object storage)."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import connection

from accounts.models import Role
from tests.s3 import make_bucket
from tests.test_backup import manage
from tests.tickets.factories import ServiceReportFactory, signature_png

PROBE = (
    "import hashlib; from django.conf import settings;"
    "settings.STORAGES = {{**settings.STORAGES, 'staticfiles': {{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}}};"
    "from django.test import Client; from accounts.models import User; from tickets.models import ServiceReport;"
    "c = Client(); c.force_login(User.objects.get(username='{username}'));"
    "report = ServiceReport.objects.get();"
    "answer = c.get(f'/tickets/{{report.ticket_id}}/reports/{{report.pk}}/signature.png');"
    "print(answer.status_code, hashlib.sha256(b''.join(answer.streaming_content)).hexdigest())"
)


def signed_report(branch_a):
    report = ServiceReportFactory(signed=True, ticket__unit__owner__branch=branch_a)
    # A second signature: the first stays stored too, and both are files to keep.
    report.signature.save("sig.png", ContentFile(signature_png()), save=True)
    return report


def archived_names(backup: Path) -> set[str]:
    with tarfile.open(backup / "media.tar.gz") as archive:
        return {member.name for member in archive if member.isfile()}


def served_signature(username: str, *, database: str, tmp_path: Path, environment: dict) -> tuple[str, str]:
    output = manage(
        "shell",
        "-c",
        PROBE.format(username=username),
        database=database,
        media=tmp_path / "no-media",
        tmp_path=tmp_path,
        environment=environment,
    )
    status, digest = output.strip().splitlines()[-1].split()
    return status, digest


def test_the_backup_holds_the_bucket_and_a_restore_puts_its_objects_back(
    reference_data, restored_database, bucket, s3_server, tmp_path, persona, branch_a
):
    report = signed_report(branch_a)
    supervisor = persona(Role.SUPERVISOR)
    stored = bucket.objects()
    assert len(stored) == 2 and report.signature.name in stored

    backup = tmp_path / "backup"
    output = manage(
        "backup",
        "--to",
        str(backup),
        database=connection.settings_dict["NAME"],
        media=tmp_path / "no-media",
        tmp_path=tmp_path,
        environment=bucket.environment,
    )
    assert f"2 files from s3://{bucket.name}/media" in output
    assert archived_names(backup) == {f"media/{name}" for name in stored}

    target = make_bucket(s3_server)
    target.client.put_object(Bucket=target.name, Key="media/signatures/left-over.png", Body=b"old")
    manage(
        "restore",
        str(backup),
        "--no-input",
        database=restored_database,
        media=tmp_path / "no-media",
        tmp_path=tmp_path,
        environment=target.environment,
    )
    assert target.objects() == stored  # the same names and bytes; the left-over object is gone
    assert not (tmp_path / "no-media").exists()

    assert served_signature(
        supervisor.username, database=restored_database, tmp_path=tmp_path, environment=target.environment
    ) == ("200", hashlib.sha256(stored[report.signature.name]).hexdigest())


def test_a_backup_of_the_media_directory_restores_into_a_bucket(
    reference_data, restored_database, s3_server, settings, tmp_path, persona, branch_a
):
    report = signed_report(branch_a)
    supervisor = persona(Role.SUPERVISOR)
    media = Path(settings.MEDIA_ROOT)
    on_disk = {
        path.relative_to(media).as_posix(): path.read_bytes() for path in media.rglob("*") if path.is_file()
    }
    assert len(on_disk) == 2

    backup = tmp_path / "backup"
    manage(
        "backup",
        "--to",
        str(backup),
        database=connection.settings_dict["NAME"],
        media=media,
        tmp_path=tmp_path,
    )
    target = make_bucket(s3_server)
    manage(
        "restore",
        str(backup),
        "--no-input",
        database=restored_database,
        media=tmp_path / "no-media",
        tmp_path=tmp_path,
        environment=target.environment,
    )
    assert target.objects() == on_disk
    assert served_signature(
        supervisor.username, database=restored_database, tmp_path=tmp_path, environment=target.environment
    ) == ("200", hashlib.sha256(on_disk[report.signature.name]).hexdigest())
