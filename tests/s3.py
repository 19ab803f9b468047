"""A real local S3 server for the tests of the bucket: moto's server mode (`moto_server`, from PyPI)
in its own process on a free port, started once per session; each test gets its own empty bucket and
the settings of an app whose STORAGE_URL points at it. Fixtures imported by the conftest.py of the
folders that use them (tests/storage, tests/browser)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from aftersales.env import env_file_storage
from loadtest.services import LocalS3, create_bucket, s3_client
from tests.conftest import require


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> str:
    """The endpoint URL of a moto S3 server started for this session."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        require(False, "moto's server mode: pip install -e '.[dev]'")
    server = LocalS3(tmp_path_factory.mktemp("s3") / "moto.log")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server.endpoint
    server.stop()


@dataclass
class Bucket:
    name: str
    prefix: str
    endpoint: str
    environment: dict[str, str]

    @property
    def client(self):
        return s3_client(self.endpoint)

    def objects(self) -> dict[str, bytes]:
        """Every object under the prefix: its name in the app's storage → its bytes, read with boto3."""
        client = self.client
        listed = client.list_objects_v2(Bucket=self.name, Prefix=f"{self.prefix}/").get("Contents", [])
        return {
            item["Key"].removeprefix(f"{self.prefix}/"): client.get_object(Bucket=self.name, Key=item["Key"])[
                "Body"
            ].read()
            for item in listed
        }


def make_bucket(endpoint: str) -> Bucket:
    name = f"aftersales-{uuid.uuid4().hex[:12]}"
    return Bucket(name=name, prefix="media", endpoint=endpoint, environment=create_bucket(endpoint, name))


@pytest.fixture
def bucket(s3_server, settings, monkeypatch) -> Bucket:
    """A new private bucket, and the app's files in it: the settings as STORAGE_URL=s3://<it>/media
    and the keys in the environment make them (aftersales.env.env_file_storage)."""
    bucket = make_bucket(s3_server)
    for key, value in bucket.environment.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": env_file_storage(link_seconds=300)}
    return bucket
