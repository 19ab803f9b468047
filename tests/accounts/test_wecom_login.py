"""企业微信 login against a local fake of WeCom (issue #21): the QR code page from a browser, OAuth inside
the WeCom app, then gettoken, auth/getuserinfo and user/get; the UserID opens the account carrying it."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.urls import reverse

from accounts.models import ApiToken, Role
from accounts.tasks import sync_directory
from tests.accounts.factories import BranchFactory, UserFactory
from tests.accounts.sso import configure_sso
from tests.fake_http import JsonHandler, serving

pytestmark = pytest.mark.django_db

CORP_ID, AGENT_ID, SECRET = "ww0123456789abcdef", "1000002", "corp-secret-for-tests"
IN_WECOM = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 wxwork/4.1.30 MicroMessenger/7.0.1"


class FakeWeCom:
    """WeCom's login pages and API: `scanned_by` is the member who scans the code (or taps in the app)."""

    def __init__(self) -> None:
        self.url = ""
        self.scanned_by: str | None = None
        self.members: dict[str, dict] = {}
        self.codes: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.calls: list[str] = []

    def login_page(self, query: dict[str, str]) -> str:
        """The QR page (or the OAuth page in the app) once the member has scanned (tapped)."""
        assert query["appid"] == CORP_ID
        code = secrets.token_urlsafe(8)
        self.codes[code] = self.scanned_by
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def api(self, path: str, query: dict[str, str]) -> dict:
        self.calls.append(path)
        if path == "/cgi-bin/gettoken":
            if (query.get("corpid"), query.get("corpsecret")) != (CORP_ID, SECRET):
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = secrets.token_urlsafe(12)
            self.tokens.add(token)
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        if query.get("access_token") not in self.tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if path == "/cgi-bin/auth/getuserinfo":
            userid = self.codes.pop(query.get("code", ""), None)
            if userid is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            if userid.startswith("o"):  # somebody outside the company: an openid, no userid
                return {"errcode": 0, "errmsg": "ok", "openid": userid}
            return {"errcode": 0, "errmsg": "ok", "userid": userid}
        if path == "/cgi-bin/user/get":
            member = self.members.get(query.get("userid", ""))
            if member is None:
                return {"errcode": 60111, "errmsg": "userid not found"}
            return {"errcode": 0, "errmsg": "ok", "userid": query["userid"], **member}
        return {"errcode": 404, "errmsg": "no such API"}


def wecom_handler(fake: FakeWeCom) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path in ("/wwlogin/sso/login", "/connect/oauth2/authorize"):
                self.send_response(302)
                self.send_header("Location", fake.login_page(query))
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.answer_json(fake.api(url.path, query))

    return Handler


@pytest.fixture
def wecom(settings, monkeypatch):
    fake = FakeWeCom()
    BranchFactory(code="SH", name="上海分公司")
    BranchFactory(code="HZ", name="杭州服务站")
    with serving(wecom_handler(fake)) as url:
        fake.url = url
        configure_sso(
            settings,
            monkeypatch,
            WECOM_CORP_ID=CORP_ID,
            WECOM_AGENT_ID=AGENT_ID,
            WECOM_SECRET=SECRET,
            WECOM_API_BASE=url,
            WECOM_OAUTH_URL=f"{url}/connect/oauth2/authorize",
            WECOM_QR_LOGIN_URL=f"{url}/wwlogin/sso/login",
            WECOM_BRANCH_DEPARTMENTS="2:SH;3:HZ",
        )
        yield fake


@pytest.fixture
def zhao(wecom):
    wecom.members["ZhaoLiu"] = {"name": "赵六", "department": [3], "status": 1}
    return UserFactory(username="zhaoliu", wecom_userid="ZhaoLiu", roles=[Role.DISPATCHER])


def scan(client, wecom, user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"):
    """Tap 企业微信登录 on the login page, scan (or tap) at WeCom, come back with its code."""
    page = client.get(reverse("login")).content.decode()
    assert "企业微信登录" in page and reverse("accounts:wecom_start") in page
    start = client.get(reverse("accounts:wecom_start"), HTTP_USER_AGENT=user_agent)
    assert start.status_code == 302 and start.url.startswith(wecom.url)
    at_wecom = requests.get(start.url, allow_redirects=False, timeout=10)
    back = urlsplit(at_wecom.headers["Location"])
    assert back.netloc == "testserver" and back.path == reverse("accounts:wecom_callback")
    return start, client.get(f"{back.path}?{back.query}")


def test_scanning_the_qr_code_logs_in_the_account_with_that_userid(client, wecom, zhao):
    wecom.scanned_by = "ZhaoLiu"
    start, response = scan(client, wecom)
    assert urlsplit(start.url).path == "/wwlogin/sso/login"
    assert parse_qs(urlsplit(start.url).query)["agentid"] == [AGENT_ID]
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(zhao.pk)
    zhao.refresh_from_db()
    assert str(zhao) == "赵六" and zhao.branch.code == "HZ"  # name and department from WeCom
    assert zhao.roles == {Role.DISPATCHER}  # roles stay as the admin set them
    assert client.get(reverse("tickets:intake")).status_code == 200


def test_inside_the_wecom_app_the_oauth_page_is_used(client, wecom, zhao):
    wecom.scanned_by = "ZhaoLiu"
    start, response = scan(client, wecom, user_agent=IN_WECOM)
    assert urlsplit(start.url).path == "/connect/oauth2/authorize"
    assert start.url.endswith("#wechat_redirect") and "scope=snsapi_base" in start.url
    assert response.url == reverse("home") and client.session["_auth_user_id"] == str(zhao.pk)


def test_a_member_without_an_account_here_is_refused_with_a_clear_message(client, wecom, zhao):
    wecom.members["QianQi"] = {"name": "钱七", "department": [2], "status": 1}
    wecom.scanned_by = "QianQi"
    _start, response = scan(client, wecom)
    assert response.url == reverse("login") and "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert "您的企业微信账号(QianQi)尚未关联本系统的用户,请联系系统管理员。" in page


def test_somebody_outside_the_company_is_refused(client, wecom, zhao):
    wecom.scanned_by = "o-outsider-openid"
    _start, response = scan(client, wecom)
    assert "只有本企业的企业微信成员才能登录" in client.get(response.url).content.decode()
    assert "_auth_user_id" not in client.session


def test_a_member_disabled_in_wecom_is_deactivated_here_with_sessions_and_tokens(client, wecom, zhao):
    wecom.scanned_by = "ZhaoLiu"
    scan(client, wecom)
    _token, key = ApiToken.issue(zhao)
    wecom.members["ZhaoLiu"]["status"] = 2  # 已禁用
    other_browser = type(client)()
    _start, response = scan(other_browser, wecom)
    assert "您的账号已停用" in other_browser.get(response.url).content.decode()
    zhao.refresh_from_db()
    assert not zhao.is_active and not ApiToken.objects.filter(user=zhao).exists()
    assert client.get(reverse("home")).url.startswith(reverse("login"))  # the first browser too
    assert ApiToken.for_key(key) is None


def test_the_access_token_is_kept_and_renewed_when_wecom_expires_it(client, wecom, zhao):
    wecom.scanned_by = "ZhaoLiu"
    scan(client, wecom)
    client.logout()
    scan(client, wecom)
    assert wecom.calls.count("/cgi-bin/gettoken") == 1
    wecom.tokens.clear()  # WeCom expired it early
    client.logout()
    _start, response = scan(client, wecom)
    assert response.url == reverse("home") and wecom.calls.count("/cgi-bin/gettoken") == 2


def test_a_callback_without_the_state_it_was_sent_with_is_refused(client, wecom, zhao):
    wecom.scanned_by = "ZhaoLiu"
    client.get(reverse("accounts:wecom_start"))
    response = client.get(reverse("accounts:wecom_callback"), {"code": "whatever", "state": "forged"})
    assert response.url == reverse("login") and "_auth_user_id" not in client.session
    assert "/cgi-bin/auth/getuserinfo" not in wecom.calls


def test_the_sync_deactivates_members_who_left_and_refreshes_the_others(client, wecom, zhao):
    wecom.members["SunBa"] = {"name": "孙八", "department": [2], "status": 1}
    sun = UserFactory(username="sunba", wecom_userid="SunBa")
    wecom.members["SunBa"]["status"] = 5  # 退出企业
    assert sync_directory() == {"wecom": {"refreshed": 1, "deactivated": 1, "unreachable": 0}}
    sun.refresh_from_db()
    zhao.refresh_from_db()
    assert not sun.is_active and zhao.is_active and zhao.branch.code == "HZ"


def test_without_configuration_there_is_no_button_and_no_way_in(client):
    assert "企业微信登录" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("accounts:wecom_start")).status_code == 404
