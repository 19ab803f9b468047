"""The directory's say on roles and branch (accounts/directory.py) and the mapping settings' syntax."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.directory import Assignment, assignment_for
from aftersales.env import env_mapping

DISPATCH = "cn=Dispatch,ou=groups,dc=example,dc=cn"
ROLES = {DISPATCH: "dispatcher", "cn=finance,ou=groups,dc=example,dc=cn": "finance"}
BRANCHES = {"cn=sh,ou=groups,dc=example,dc=cn": "SH", "cn=hz,ou=groups,dc=example,dc=cn": "hz"}


def test_roles_are_exactly_those_of_the_mapped_groups_whatever_the_case_of_the_dns():
    held = ["CN=dispatch,OU=groups,DC=example,DC=cn", "cn=everyone,ou=groups,dc=example,dc=cn"]
    assert assignment_for(held, role_map=ROLES, branch_map={}) == Assignment(frozenset({"dispatcher"}))
    assert assignment_for([], role_map=ROLES, branch_map={}).roles == frozenset()


def test_without_a_role_map_the_directory_leaves_roles_and_branch_alone():
    assert assignment_for([DISPATCH], role_map={}, branch_map={}) == Assignment(None, None, False)


def test_the_branch_comes_from_the_attribute_first_then_the_first_mapped_group():
    groups = ["cn=hz,ou=groups,dc=example,dc=cn", "cn=sh,ou=groups,dc=example,dc=cn"]
    assert assignment_for(groups, role_map={}, branch_map=BRANCHES).branch_code == "SH"  # the map's order
    assert assignment_for(
        ["cn=hz,ou=groups,dc=example,dc=cn"], role_map={}, branch_map=BRANCHES
    ) == Assignment(None, "HZ", True)
    assert (
        assignment_for(groups, role_map={}, branch_map=BRANCHES, branch_values=[" gz "]).branch_code == "GZ"
    )


def test_a_configured_branch_source_with_nothing_for_the_user_leaves_them_without_a_branch():
    assert assignment_for([], role_map={}, branch_map=BRANCHES) == Assignment(None, None, True)
    assert assignment_for([], role_map={}, branch_map={}, branch_values=[]) == Assignment(None, None, True)


def test_mappings_are_pairs_or_json_and_a_bad_one_fails_loudly(monkeypatch):
    monkeypatch.setenv("MAP", f" {DISPATCH}:dispatcher ; cn=a:b:finance;")
    assert env_mapping("MAP") == {DISPATCH: "dispatcher", "cn=a:b": "finance"}
    monkeypatch.setenv("MAP", '{"aftersales-dispatch": "dispatcher"}')
    assert env_mapping("MAP") == {"aftersales-dispatch": "dispatcher"}
    monkeypatch.setenv("MAP", "")
    assert env_mapping("MAP") == {}
    for bad in ("cn=dispatch", "cn=dispatch:", '{"a": 1}', "{not json"):
        monkeypatch.setenv("MAP", bad)
        with pytest.raises(ImproperlyConfigured, match="MAP"):
            env_mapping("MAP")


def test_a_role_map_naming_an_unknown_role_stops_the_start(settings):
    settings.OIDC_ROLE_GROUPS = {"aftersales-bosses": "boss"}
    with pytest.raises(SystemCheckError, match="OIDC_ROLE_GROUPS names unknown roles: boss"):
        call_command("check")


def test_ldap_group_mappings_without_a_group_search_stop_the_start(settings):
    settings.LDAP_SERVER_URI = "ldap://127.0.0.1:9"
    settings.LDAP_ROLE_GROUPS = {DISPATCH: "dispatcher"}
    settings.AUTH_LDAP_GROUP_SEARCH = None
    with pytest.raises(SystemCheckError, match="without LDAP_GROUP_SEARCH_BASE"):
        call_command("check")
