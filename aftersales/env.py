"""Small, loud helpers for reading settings from the environment (12-factor)."""

from __future__ import annotations

import json
import os

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
