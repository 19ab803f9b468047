import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from aftersales.env import env_bool, env_int, env_list
from tests.env_example import settings_from

ROOT = Path(__file__).resolve().parents[1]


def test_values_are_read_and_bad_ones_fail_loudly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("COUNT", "12")
    monkeypatch.setenv("HOSTS", "a.cn, b.cn,,")
    assert env_bool("FLAG", False) is True
    assert env_int("COUNT", 0) == 12
    assert env_list("HOSTS", []) == ["a.cn", "b.cn"]
    assert env_bool("MISSING", True) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)
    monkeypatch.setenv("COUNT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="COUNT"):
        env_int("COUNT", 0)


def survey_link_with(**environment: str) -> str:
    """The link a texted survey message carries, in a fresh process with this environment."""
    env = {key: value for key, value in os.environ.items() if key not in {"HOST", "PORT", "SITE_URL"}}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from surveys.services import survey_url; print(survey_url('T'))",
        ],
        cwd=ROOT,
        env=env | {"SECRET_KEY": "test-only"} | environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_texted_links_follow_the_port_make_run_serves_on_unless_site_url_is_set():
    """`PORT=9000 make run` texted survey links to port 8000."""
    assert survey_link_with(PORT="9000") == "http://127.0.0.1:9000/surveys/s/T/"
    assert survey_link_with(PORT="9000", HOST="192.168.1.20") == "http://192.168.1.20:9000/surveys/s/T/"
    assert survey_link_with(PORT="9000", HOST="0.0.0.0").startswith("http://127.0.0.1:9000/")
    assert survey_link_with() == "http://127.0.0.1:8000/surveys/s/T/"
    assert (
        survey_link_with(PORT="9000", SITE_URL="https://fw.example.cn")
        == "https://fw.example.cn/surveys/s/T/"
    )


def test_a_replica_url_adds_the_replica_alias_as_a_mirror_of_the_test_database(monkeypatch):
    """REPLICA_DATABASE_URL (aftersales.replica): the `replica` alias, whose test database is the primary's
    (a streaming replica copies the test database by itself); unset, there is no second alias."""
    monkeypatch.delenv("REPLICA_DATABASE_URL", raising=False)
    assert set(settings_from(monkeypatch).DATABASES) == {"default"}
    configured = settings_from(
        monkeypatch, REPLICA_DATABASE_URL="postgres://reader@standby.example.cn:5433/as"
    )
    replica = configured.DATABASES["replica"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"], replica["USER"]) == (
        "standby.example.cn",
        5433,
        "as",
        "reader",
    )
    assert replica["TEST"] == {"MIRROR": "default"}
    assert configured.DATABASE_ROUTERS == ["aftersales.replica.ReplicaRouter"]
