"""`manage.py check --deploy` is clean with the production settings of .env.example, and passwords are
hashed with PBKDF2 (Django's default) or Argon2 — never a fast hash — outside the tests."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.env_example import read_env_example

ROOT = Path(__file__).resolve().parents[1]


def production_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECRET_KEY"))}
    env.update(read_env_example())
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # the example's placeholder is rightly refused
    return env


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_passwords_are_hashed_with_pbkdf2_or_argon2_in_production():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])")
    assert result.stdout.strip().splitlines()[-1] in {
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    }, result.stderr
