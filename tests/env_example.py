"""`.env.example` read as docker compose's `env_file` reads it, and the settings module run with a given
environment."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"


def read_env_example() -> dict[str, str]:
    """KEY=VALUE lines, a value in double quotes without them, comments and blank lines skipped."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values[key.strip()] = value
    return values


def settings_from(monkeypatch, **environment: str) -> ModuleType:
    """aftersales/settings.py run afresh with these environment variables; Django's own settings stay."""
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", ROOT / "aftersales" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
