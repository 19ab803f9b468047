"""The storage settings read from the environment: the filesystem by default, a private bucket by
STORAGE_URL, a wrong value refused at start, and the Content-Security-Policy opened to the bucket only
when pages follow signed links into it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.env_example import settings_from

S3_ENVIRONMENT = {
    "STORAGE_URL": "s3://aftersales-files/sh",
    "AWS_S3_ENDPOINT_URL": "https://oss-cn-shanghai.aliyuncs.com",
    "AWS_S3_REGION_NAME": "oss-cn-shanghai",
    "AWS_S3_ADDRESSING_STYLE": "virtual",
    "AWS_ACCESS_KEY_ID": "key",
    "AWS_SECRET_ACCESS_KEY": "secret",
}


def test_the_filesystem_unless_a_bucket_is_given(monkeypatch):
    monkeypatch.delenv("STORAGE_URL", raising=False)
    settings = settings_from(monkeypatch)
    assert settings.STORAGES["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert settings.STORAGE_SIGNED_URL_SECONDS == 0


def test_a_bucket_by_storage_url_private_and_never_overwritten(monkeypatch):
    settings = settings_from(monkeypatch, **S3_ENVIRONMENT)
    storage = settings.STORAGES["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "aftersales-files",
        "location": "sh",
        "endpoint_url": "https://oss-cn-shanghai.aliyuncs.com",
        "region_name": "oss-cn-shanghai",
        "access_key": "key",
        "secret_key": "secret",
        "addressing_style": "virtual",
        "signature_version": "s3v4",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": 300,  # the admin's file links
        "max_memory_size": 5 * 1024 * 1024,
    }
    # Streamed through the app: the pages load nothing from the bucket.
    assert "media-src" not in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:"]


def test_signed_links_open_the_policy_to_the_bucket_for_images_and_videos_only(monkeypatch):
    settings = settings_from(monkeypatch, **S3_ENVIRONMENT, STORAGE_SIGNED_URL_SECONDS="300")
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    bucket = ["https://oss-cn-shanghai.aliyuncs.com", "https://*.oss-cn-shanghai.aliyuncs.com"]
    assert directives["img-src"] == ["'self'", "data:", "blob:", *bucket]
    assert directives["media-src"] == ["'self'", *bucket]
    assert directives["connect-src"] == ["'self'", *bucket]
    assert directives["script-src"] == ["'self'"] and directives["default-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORAGE_URL", "oss://aftersales-files"),
        ("STORAGE_URL", "s3:///no-bucket"),
        ("AWS_S3_ADDRESSING_STYLE", "subdomain"),
        ("STORAGE_SIGNED_URL_SECONDS", "five minutes"),
    ],
)
def test_a_wrong_value_stops_the_start_naming_the_variable(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        settings_from(monkeypatch, **{**S3_ENVIRONMENT, name: value})
