"""A real local S3 server for the tests of the bucket: moto's server mode (`moto_server`, from PyPI)
in its own process on a free port, started once per session; each test gets its own empty bucket and
the settings of an app whose STORAGE_URL points at it. Fixtures imported by the conftest.py of the
folders that use them (tests/storage, tests/browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass

import boto3
import pytest

from aftersales.env import env_file_storage
from tests.conftest import require

KEYS = {"AWS_ACCESS_KEY_ID": "aftersales-test", "AWS_SECRET_ACCESS_KEY": "aftersales-test-secret"}
REGION = "cn-north-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> str:
    """The endpoint URL of a moto S3 server started for this session."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        require(False, "moto's server mode: pip install -e '.[dev]'")
    port = free_port()
    log = (tmp_path_factory.mktemp("s3") / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start on {endpoint} (log: {log.name})")
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=30)
    log.close()


@dataclass
class Bucket:
    name: str
    prefix: str
    endpoint: str
    environment: dict[str, str]

    @property
    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **_lower_keys(KEYS))

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


def _lower_keys(keys: dict[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in keys.items()}


def make_bucket(endpoint: str) -> Bucket:
    name = f"aftersales-{uuid.uuid4().hex[:12]}"
    bucket = Bucket(
        name=name,
        prefix="media",
        endpoint=endpoint,
        environment={
            "STORAGE_URL": f"s3://{name}/media",
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_S3_REGION_NAME": REGION,
            **KEYS,
        },
    )
    bucket.client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return bucket


@pytest.fixture
def bucket(s3_server, settings, monkeypatch) -> Bucket:
    """A new private bucket, and the app's files in it: the settings as STORAGE_URL=s3://<it>/media
    and the keys in the environment make them (aftersales.env.env_file_storage)."""
    bucket = make_bucket(s3_server)
    for key, value in bucket.environment.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": env_file_storage(link_seconds=300)}
    return bucket
