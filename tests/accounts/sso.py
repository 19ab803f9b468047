"""Single sign-on configured as a deployment would: the environment given, settings.py run afresh with it
(tests/env_example.py), and what it made of the SSO settings put into the live settings."""

from __future__ import annotations

PREFIXES = ("AUTH_LDAP_", "LDAP_", "OIDC_", "WECOM_")


def configure_sso(settings, monkeypatch, **environment: str) -> None:
    from tests.env_example import settings_from

    module = settings_from(monkeypatch, **environment)
    for name in dir(module):
        if name.startswith(PREFIXES) or name == "AUTHENTICATION_BACKENDS":
            setattr(settings, name, getattr(module, name))
