"""The login page's single sign-on buttons in a real browser (issue #21): 单点登录 through a local fake
OpenID provider, 企业微信登录 through a local fake of WeCom's QR page and API, each back on the home page
signed in with the role the provider or the admin gave."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.accounts.sso import configure_sso
from tests.accounts.test_wecom_login import AGENT_ID, CORP_ID, SECRET, FakeWeCom, wecom_handler
from tests.fake_http import serving
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

pytestmark = pytest.mark.browser


def test_single_sign_on_from_the_login_page(open_page, reference_data, branch_a, settings, monkeypatch):
    with running_provider() as provider:
        discovery = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10).json()
        configure_sso(
            settings,
            monkeypatch,
            OIDC_RP_CLIENT_ID=CLIENT_ID,
            OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_OP_AUTHORIZATION_ENDPOINT=discovery["authorization_endpoint"],
            OIDC_OP_TOKEN_ENDPOINT=discovery["token_endpoint"],
            OIDC_OP_USER_ENDPOINT=discovery["userinfo_endpoint"],
            OIDC_OP_JWKS_ENDPOINT=discovery["jwks_uri"],
            OIDC_ROLE_GROUPS="aftersales-supervisors:supervisor",
            OIDC_BRANCH_CLAIM="branch",
        )
        provider.signed_in = {
            "sub": "0f3c-wang",
            "preferred_username": "wangwu",
            "family_name": "王",
            "given_name": "五",
            "groups": ["aftersales-supervisors"],
            "branch": "SH",
        }
        page = open_page()
        page.goto("/login/")
        expect(page.get_by_test_id("sso-wecom")).to_have_count(0)
        page.get_by_role("link", name="单点登录").click()
        expect(page).to_have_url(re.compile(r"/$"))
        # Name and branch from the provider's claims, in the header's account menu.
        expect(page.get_by_test_id("account-menu")).to_have_attribute("title", "王五 · 上海分公司")


def test_wecom_login_from_the_login_page(open_page, reference_data, branch_a, settings, monkeypatch):
    wecom = FakeWeCom()
    wecom.members["ZhaoLiu"] = {"name": "赵六", "department": [2], "status": 1}
    UserFactory(username="zhaoliu", wecom_userid="ZhaoLiu", roles=[Role.DISPATCHER], branch=branch_a)
    with serving(wecom_handler(wecom)) as url:
        wecom.url = url
        configure_sso(
            settings,
            monkeypatch,
            WECOM_CORP_ID=CORP_ID,
            WECOM_AGENT_ID=AGENT_ID,
            WECOM_SECRET=SECRET,
            WECOM_API_BASE=url,
            WECOM_QR_LOGIN_URL=f"{url}/wwlogin/sso/login",
        )
        page = open_page()
        page.goto("/login/")
        expect(page.get_by_test_id("sso-oidc")).to_have_count(0)
        wecom.scanned_by = "ZhaoLiu"
        page.get_by_role("link", name="企业微信登录").click()
        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.get_by_test_id("account-menu")).to_have_attribute("title", "赵六 · 上海分公司")

        page.context.clear_cookies()
        page.goto("/login/")
        wecom.members["QianQi"] = {"name": "钱七", "department": [2], "status": 1}
        wecom.scanned_by = "QianQi"
        page.get_by_role("link", name="企业微信登录").click()
        expect(
            page.get_by_text("您的企业微信账号(QianQi)尚未关联本系统的用户,请联系系统管理员。")
        ).to_be_visible()
