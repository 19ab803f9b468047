"""Small, loud helpers for reading settings from the environment (12-factor)."""

from __future__ import annotations

import ipaddress
import json
import os
from urllib.parse import urlsplit

import dj_database_url
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = os.environ.get(name, default).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_mapping(name: str) -> dict[str, str]:
    """A mapping such as directory group → role: a JSON object, or `key:value` pairs separated by `;`
    (`cn=Dispatch,ou=groups,dc=example,dc=cn:dispatcher;cn=Finance,ou=groups,dc=example,dc=cn:finance`).
    A key may contain `:` in the pair syntax (the value is after the last one); empty: no mapping."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ImproperlyConfigured(f"{name} must be a JSON object of strings")
        return {str(key).strip(): value.strip() for key, value in parsed.items()}
    mapping = {}
    for pair in raw.split(";"):
        if not pair.strip():
            continue
        key, colon, value = pair.rpartition(":")
        if not colon or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name}: {pair.strip()!r} is not `key:value`")
        mapping[key.strip()] = value.strip()
    return mapping


def env_file_storage(*, link_seconds: int) -> dict | None:
    """The STORAGES["default"] entry for an S3-compatible bucket (MinIO, Alibaba OSS, Tencent COS, AWS)
    when STORAGE_URL=s3://bucket[/prefix] is set, else None (files stay under MEDIA_ROOT).

    The bucket stays private: objects are written without an ACL (the bucket's own, private, applies)
    and read back only through the app's access checks (aftersales.uploads.file_response); a link the
    storage signs itself (the admin's file links) lives `link_seconds`. A name in use gets a new one,
    as on the filesystem, instead of overwriting the object."""
    url = env_str("STORAGE_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured(
            f"STORAGE_URL must look like s3://bucket or s3://bucket/prefix, got {url!r}"
        )
    addressing_style = env_str("AWS_S3_ADDRESSING_STYLE", "").strip() or None
    if addressing_style not in (None, "auto", "path", "virtual"):
        raise ImproperlyConfigured(
            f"AWS_S3_ADDRESSING_STYLE must be auto, path or virtual, got {addressing_style!r}"
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": parts.netloc,
            "location": parts.path.strip("/"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "").strip() or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "").strip() or None,
            # Empty: boto3's own chain (its environment variables, an instance role).
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "addressing_style": addressing_style,
            # MinIO, OSS and COS all take version 4 signatures.
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": link_seconds,
            # A file streamed through the app is first fetched whole: past 5 MB (a video) onto the disk.
            "max_memory_size": 5 * 1024 * 1024,
        },
    }


def bucket_origins(storage: dict) -> list[str]:
    """The origins a browser fetches a signed link of `storage` from (for the Content-Security-Policy):
    the endpoint, path- or virtual-host-addressed; AWS's own hosts when no endpoint is given."""
    endpoint = storage["OPTIONS"]["endpoint_url"]
    if not endpoint:
        return ["https://*.amazonaws.com", "https://*.amazonaws.com.cn"]
    parts = urlsplit(endpoint)
    return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}"]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated addresses or CIDR networks (10.0.0.0/8, 127.0.0.1)."""
    try:
        return [ipaddress.ip_network(item, strict=False) for item in env_list(name, [])]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must list addresses or networks (10.0.0.0/8), got {exc}") from exc


def replica_database(url: str, *, conn_max_age: int) -> dict:
    """DATABASES["replica"] for REPLICA_DATABASE_URL (aftersales.replica). Its test database is the
    primary's (TEST MIRROR): a streaming replica copies the whole cluster, so the test database created
    on the primary appears on the replica by itself, read only."""
    database = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    database["TEST"] = {"MIRROR": "default"}
    return database


def require_secret_key(**_signal_kwargs) -> None:
    """Refuse to serve without SECRET_KEY: a server would start and then fail every request that signs
    (sessions, CSRF). Called as the WSGI application loads and as Celery's worker and beat start; the
    settings leave the key empty for the manage.py commands that need none."""
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to read an empty key
        key = ""
    if not key:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
