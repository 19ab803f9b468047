"""The operations settings fail loudly on a value that would silently turn a protection off."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.env_example import settings_from


def test_allowed_networks_are_parsed_and_a_typo_fails(monkeypatch):
    read = settings_from(monkeypatch, METRICS_ALLOWED_NETWORKS="10.0.0.0/8, 192.168.1.7")
    networks = read.METRICS_ALLOWED_NETWORKS
    assert networks == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.7"),
    ]
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        settings_from(monkeypatch, METRICS_ALLOWED_NETWORKS="10.0.0.0/33")


def test_log_format_is_text_or_json(monkeypatch):
    assert settings_from(monkeypatch, LOG_FORMAT="JSON").LOGGING["handlers"]["console"]["formatter"] == "json"
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        settings_from(monkeypatch, LOG_FORMAT="yaml")


def test_postgresql_connections_give_up_after_the_connect_timeout(monkeypatch):
    read = settings_from(monkeypatch, DATABASE_URL="postgres://u@db.internal:5432/aftersales")
    assert read.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 3
    read = settings_from(
        monkeypatch, DATABASE_URL="postgres://u@db.internal:5432/aftersales", DATABASE_CONNECT_TIMEOUT="5"
    )
    assert read.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 5
