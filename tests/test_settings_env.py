import pytest
from django.core.exceptions import ImproperlyConfigured

from aftersales.env import env_bool, env_int, env_list


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
