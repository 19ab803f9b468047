"""Generic OpenID Connect login against a local fake provider (issue #21): the 单点登录 button, the
provider's redirect, the token endpoint's signed id_token and userinfo, through the real Django client;
the group claim decides role and branch at every login."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from accounts.models import Role, User
from tests.accounts.factories import BranchFactory, UserFactory
from tests.accounts.sso import configure_sso
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

pytestmark = pytest.mark.django_db

WANG = {
    "sub": "0f3c-wang",
    "preferred_username": "wangwu",
    "family_name": "王",
    "given_name": "五",
    "email": "wangwu@example.cn",
    "groups": ["aftersales-supervisors", "staff"],
    "branch": "SH",
}


@pytest.fixture
def provider(settings, monkeypatch):
    """The provider running, and the app configured from its discovery document as an operator would."""
    BranchFactory(code="SH", name="上海分公司")
    BranchFactory(code="HZ", name="杭州服务站")
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
            OIDC_ROLE_GROUPS="aftersales-supervisors:supervisor;aftersales-warehouse:warehouse",
            OIDC_BRANCH_CLAIM="branch",
        )
        yield provider


def sign_in(client, provider, next_url: str = ""):
    """Tap 单点登录 on the login page, pass the provider (already signed in there), come back."""
    page = client.get(reverse("login"), {"next": next_url} if next_url else {})
    button = reverse("accounts:oidc_start") + (f"?next={next_url.replace('/', '%2F')}" if next_url else "")
    assert button in page.content.decode()
    start = client.get(button)
    assert start.status_code == 302 and start.url.startswith(f"{provider.url}/authorize?")
    at_provider = requests.get(start.url, allow_redirects=False, timeout=10)  # the browser at the provider
    back = urlsplit(at_provider.headers["Location"])
    assert back.netloc == "testserver"
    return client.get(f"{back.path}?{back.query}")


def test_the_single_sign_on_button_logs_in_with_role_branch_and_name_from_the_claims(client, provider):
    provider.signed_in = WANG
    response = sign_in(client, provider)
    assert response.status_code == 302 and response.url == reverse("home")
    user = User.objects.get(username="wangwu")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.source == User.Source.OIDC and not user.has_usable_password()
    assert user.roles == {Role.SUPERVISOR} and user.branch.code == "SH"
    assert str(user) == "王五" and user.email == "wangwu@example.cn"
    assert client.get(reverse("tickets:dispatch_board")).status_code == 200


def test_the_page_asked_for_is_where_the_login_ends(client, provider):
    provider.signed_in = WANG
    assert sign_in(client, provider, next_url="/tickets/").url == "/tickets/"


def test_changed_claims_change_role_and_branch_at_the_next_login(client, provider):
    provider.signed_in = WANG
    sign_in(client, provider)
    client.logout()
    provider.signed_in = WANG | {"groups": ["aftersales-warehouse"], "branch": "HZ"}
    sign_in(client, provider)
    user = User.objects.get(username="wangwu")
    assert user.roles == {Role.WAREHOUSE} and user.branch.code == "HZ"


def test_an_existing_local_account_of_that_name_is_the_one_logged_in(client, provider):
    local = UserFactory(username="wangwu", roles=[Role.DISPATCHER])
    provider.signed_in = WANG
    sign_in(client, provider)
    assert client.session["_auth_user_id"] == str(local.pk)
    assert User.objects.get(pk=local.pk).roles == {Role.SUPERVISOR}  # the provider's groups decide


@pytest.mark.parametrize("forgery", ["another key", "another audience"])
def test_an_id_token_not_signed_by_the_provider_for_this_app_is_refused(client, provider, forgery):
    provider.signed_in = WANG
    if forgery == "another key":
        provider.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        provider.audience = "some-other-app"
    response = sign_in(client, provider)
    assert response.status_code == 302 and response.url == reverse("login")
    assert "单点登录未成功" in client.get(response.url).content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="wangwu").exists()


def test_a_refusal_at_the_provider_comes_back_to_the_login_page_with_a_message(client, provider):
    provider.signed_in = None
    response = sign_in(client, provider)
    assert response.status_code == 302 and response.url == reverse("login")
    assert "单点登录未成功" in client.get(response.url).content.decode()
    assert "_auth_user_id" not in client.session


def test_a_deactivated_account_cannot_sign_in(client, provider):
    UserFactory(username="wangwu", is_active=False)
    provider.signed_in = WANG
    response = sign_in(client, provider)
    assert response.url == reverse("login") and "_auth_user_id" not in client.session


def test_without_configuration_there_is_no_button_and_no_way_in(client):
    assert 'data-testid="sso-oidc"' not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("accounts:oidc_start")).status_code == 404
    assert client.get(reverse("accounts:oidc_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_a_provider_sending_only_a_full_name_names_the_user_by_it(client, provider):
    UserFactory(username="zhaoliu", last_name="赵", first_name="小六", roles=[Role.DISPATCHER])
    provider.signed_in = {"sub": "77-zhao", "preferred_username": "zhaoliu", "name": "赵六"}
    sign_in(client, provider)
    user = User.objects.get(username="zhaoliu")
    assert str(user) == "赵六" and user.branch is None  # OIDC_BRANCH_CLAIM is set, the claim absent
    assert user.roles == frozenset()  # the role map decides: no mapped group, no role
