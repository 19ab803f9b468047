"""LDAP / Active Directory login against a real slapd (Debian's, started by the test): the directory
password opens the login form, the directory's groups decide role and branch at every login, and an
account the directory no longer has loses its access (issue #21)."""

from __future__ import annotations

import base64
import shutil

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, User
from accounts.tasks import sync_directory
from tests.accounts.factories import PASSWORD, BranchFactory, UserFactory
from tests.accounts.sso import configure_sso
from tests.conftest import require
from tests.ldap_server import ADMIN_DN, ADMIN_PASSWORD, SUFFIX, running_slapd, slapd_path

pytestmark = pytest.mark.django_db

PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
ZHANG = f"uid=zhangsan,{PEOPLE}"
LI = f"uid=lisi,{PEOPLE}"


def utf8(name: str, value: str) -> str:
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def person(uid: str, family: str, given: str, password: str, department: str) -> str:
    return f"""dn: uid={uid},{PEOPLE}
objectClass: inetOrgPerson
uid: {uid}
{utf8("cn", family + given)}
{utf8("sn", family)}
{utf8("givenName", given)}
mail: {uid}@example.cn
departmentNumber: {department}
userPassword: {password}
"""


def group(cn: str, *members: str) -> str:
    # groupOfNames needs a member: the administrator stays in each group, as directories often do.
    return f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n" + "".join(
        f"member: {member}\n" for member in (ADMIN_DN, *members)
    )


DIRECTORY = "\n".join(
    [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        person("zhangsan", "张", "三", "zhang-directory-pw", "SH"),
        person("lisi", "李", "四", "li-directory-pw", "HZ"),
        group("dispatch", ZHANG),
        group("finance", LI),
        group("aftersales-shanghai", ZHANG),
        group("aftersales-hangzhou", LI),
    ]
)


@pytest.fixture
def directory(tmp_path):
    require(
        slapd_path() is not None and shutil.which("ldapmodify") is not None,
        "Debian's slapd and ldap-utils (scripts/system-packages.sh --tests installs them)",
    )
    with running_slapd(tmp_path / "slapd", DIRECTORY) as server:
        yield server


@pytest.fixture
def ldap_login(settings, monkeypatch, directory):
    """The app configured for the directory as .env would do it; the branches SH and HZ exist."""

    def configure(**extra: str):
        environment = {
            "LDAP_SERVER_URI": directory.uri,
            "LDAP_BIND_DN": ADMIN_DN,
            "LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
            "LDAP_USER_SEARCH_BASE": PEOPLE,
            "LDAP_GROUP_SEARCH_BASE": GROUPS,
            "LDAP_GROUP_SEARCH_FILTER": "(objectClass=groupOfNames)",
            "LDAP_ROLE_GROUPS": f"cn=dispatch,{GROUPS}:dispatcher;CN=Finance,{GROUPS}:finance",
            "LDAP_BRANCH_GROUPS": f"cn=aftersales-shanghai,{GROUPS}:SH;cn=aftersales-hangzhou,{GROUPS}:HZ",
        }
        configure_sso(settings, monkeypatch, **(environment | extra))

    BranchFactory(code="SH", name="上海分公司")
    BranchFactory(code="HZ", name="杭州服务站")
    configure()
    return configure


def log_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_directory_password_logs_in_with_role_branch_and_name_from_the_directory(client, ldap_login):
    response = log_in(client, "zhangsan", "zhang-directory-pw")
    assert response.status_code == 302 and response.url == reverse("home")
    user = User.objects.get(username="zhangsan")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.source == User.Source.LDAP
    assert user.roles == {Role.DISPATCHER}
    assert user.branch.code == "SH"
    assert str(user) == "张三" and user.email == "zhangsan@example.cn"
    assert not user.has_usable_password()  # the password stays in the directory
    assert client.get(reverse("tickets:intake")).status_code == 200  # the dispatcher's page opens


def test_a_wrong_directory_password_is_refused(client, ldap_login):
    log_in(client, "zhangsan", "zhang-directory-pw")
    client.logout()
    response = log_in(client, "zhangsan", "wrong-pw")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.get(username="zhangsan").is_active  # a wrong password deactivates nobody


def test_a_group_change_in_the_directory_changes_role_and_branch_at_the_next_login(
    client, ldap_login, directory
):
    log_in(client, "zhangsan", "zhang-directory-pw")
    client.logout()
    directory.modify(
        f"dn: cn=dispatch,{GROUPS}\nchangetype: modify\ndelete: member\nmember: {ZHANG}\n\n"
        f"dn: cn=aftersales-shanghai,{GROUPS}\nchangetype: modify\ndelete: member\nmember: {ZHANG}\n\n"
        f"dn: cn=finance,{GROUPS}\nchangetype: modify\nadd: member\nmember: {ZHANG}\n\n"
        f"dn: cn=aftersales-hangzhou,{GROUPS}\nchangetype: modify\nadd: member\nmember: {ZHANG}\n"
    )
    assert log_in(client, "zhangsan", "zhang-directory-pw").status_code == 302
    user = User.objects.get(username="zhangsan")
    assert user.roles == {Role.FINANCE} and user.branch.code == "HZ"
    assert client.get(reverse("tickets:intake")).status_code == 403  # no longer a dispatcher

    directory.modify(f"dn: cn=finance,{GROUPS}\nchangetype: modify\ndelete: member\nmember: {ZHANG}\n")
    client.logout()
    log_in(client, "zhangsan", "zhang-directory-pw")
    assert User.objects.get(username="zhangsan").roles == frozenset()


def test_the_branch_can_come_from_a_directory_attribute(client, ldap_login, monkeypatch):
    ldap_login(LDAP_BRANCH_GROUPS="", LDAP_BRANCH_ATTRIBUTE="departmentNumber")
    log_in(client, "lisi", "li-directory-pw")
    user = User.objects.get(username="lisi")
    assert user.branch.code == "HZ" and user.roles == {Role.FINANCE}


def test_local_accounts_still_log_in_beside_the_directory(client, ldap_login):
    UserFactory(username="local-admin", roles=[Role.ADMIN])
    assert log_in(client, "local-admin", PASSWORD).status_code == 302
    assert User.objects.get(username="local-admin").source == User.Source.LOCAL


def test_an_account_removed_from_the_directory_loses_sessions_and_tokens_at_its_next_login(
    client, ldap_login, directory
):
    log_in(client, "zhangsan", "zhang-directory-pw")
    user = User.objects.get(username="zhangsan")
    _token, key = ApiToken.issue(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("ticket-list")).status_code == 200
    assert client.get(reverse("home")).status_code == 200

    directory.modify(f"dn: {ZHANG}\nchangetype: delete\n")
    other_browser = type(client)()
    assert log_in(other_browser, "zhangsan", "zhang-directory-pw").status_code == 200  # refused

    user.refresh_from_db()
    assert not user.is_active
    assert not ApiToken.objects.filter(user=user).exists()
    assert api.get(reverse("ticket-list")).status_code == 403  # the token is refused
    response = client.get(reverse("home"))  # the first browser's session is over
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_sync_deactivates_accounts_gone_from_the_directory_and_refreshes_the_others(
    client, ldap_login, directory
):
    log_in(client, "zhangsan", "zhang-directory-pw")
    log_in(type(client)(), "lisi", "li-directory-pw")
    directory.modify(
        f"dn: {LI}\nchangetype: delete\n\n"
        f"dn: cn=finance,{GROUPS}\nchangetype: modify\nadd: member\nmember: {ZHANG}\n"
    )
    assert sync_directory() == {"ldap": {"refreshed": 1, "deactivated": 1, "unreachable": 0, "held_back": 0}}
    assert not User.objects.get(username="lisi").is_active
    zhang = User.objects.get(username="zhangsan")
    assert zhang.is_active and zhang.roles == {Role.DISPATCHER, Role.FINANCE}
    assert client.get(reverse("home")).status_code == 200  # zhangsan stays signed in


def test_a_directory_that_cannot_be_reached_deactivates_nobody(client, ldap_login, settings):
    log_in(client, "zhangsan", "zhang-directory-pw")
    settings.AUTH_LDAP_SERVER_URI = "ldap://127.0.0.1:9"  # nothing listens there
    assert sync_directory() == {"ldap": {"refreshed": 0, "deactivated": 0, "unreachable": 1, "held_back": 0}}
    assert log_in(type(client)(), "zhangsan", "zhang-directory-pw").status_code == 200
    assert User.objects.get(username="zhangsan").is_active


def test_an_account_disabled_in_the_directory_is_deactivated_at_its_next_login(client, ldap_login, directory):
    """Disabled accounts are left out by the user search filter (Active Directory: the
    userAccountControl bit; here an attribute the directory's administrators set)."""
    ldap_login(LDAP_USER_SEARCH_FILTER="(&(uid=%(user)s)(!(employeeType=disabled)))")
    log_in(client, "zhangsan", "zhang-directory-pw")
    directory.modify(f"dn: {ZHANG}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n")
    assert log_in(type(client)(), "zhangsan", "zhang-directory-pw").status_code == 200
    assert not User.objects.get(username="zhangsan").is_active
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_search_that_suddenly_finds_most_accounts_gone_deactivates_nobody(client, ldap_login, caplog):
    log_in(client, "zhangsan", "zhang-directory-pw")
    log_in(type(client)(), "lisi", "li-directory-pw")
    ldap_login(LDAP_USER_SEARCH_FILTER="(employeeNumber=%(user)s)")  # a filter changed by mistake
    assert sync_directory() == {"ldap": {"refreshed": 0, "deactivated": 0, "unreachable": 0, "held_back": 2}}
    assert User.objects.filter(username__in=["zhangsan", "lisi"], is_active=True).count() == 2
    assert "2 of 2 directory accounts not found; none deactivated" in caplog.text
