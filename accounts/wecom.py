"""企业微信 (WeCom) login: OAuth inside the WeCom app, the QR code page in a browser (issue #21).

WeCom says who scanned or tapped (`auth/getuserinfo` with the code it hands back: the member's UserID);
the account carrying that UserID (User.wecom_userid) logs in. `user/get` refreshes the name and, with
WECOM_BRANCH_DEPARTMENTS, the branch; a member WeCom has disabled, or that left the company, is
deactivated here too. Every address is under settings (WECOM_API_BASE…), so tests talk to a local fake."""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.backends import signed_in
from accounts.directory import assignment_for
from accounts.models import User
from accounts.services import apply_assignment, deactivate_from_directory

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# errcodes: the access token expired or is invalid (ask for a new one once); no such member.
TOKEN_ERRORS = {40014, 42001}
NO_SUCH_MEMBER = 60111
# user/get's status: 1 active, 2 disabled, 4 not yet activated, 5 left the company.
ACTIVE, DISABLED, LEFT = 1, 2, 5


class WeComError(Exception):
    """WeCom could not be asked or refused the request (logged; the user is told to try again)."""


class WeComClient:
    def __init__(self) -> None:
        self.base = settings.WECOM_API_BASE.rstrip("/")
        self.token_key = f"wecom-access-token:{settings.WECOM_CORP_ID}:{settings.WECOM_AGENT_ID}"

    def _access_token(self) -> str:
        token = cache.get(self.token_key)
        if token:
            return token
        answer = self._call("gettoken", corpid=settings.WECOM_CORP_ID, corpsecret=settings.WECOM_SECRET)
        # Valid expires_in seconds (7,200); kept a little shorter.
        cache.set(self.token_key, answer["access_token"], max(int(answer.get("expires_in", 7200)) - 300, 60))
        return answer["access_token"]

    def _call(self, path: str, **params) -> dict:
        try:
            response = requests.get(f"{self.base}/cgi-bin/{path}", params=params, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise WeComError(f"{path}: {error}") from error
        if answer.get("errcode", 0) != 0:
            raise WeComError(f"{path}: errcode {answer.get('errcode')} {answer.get('errmsg', '')}", answer)
        return answer

    def _with_token(self, path: str, **params) -> dict:
        try:
            return self._call(path, access_token=self._access_token(), **params)
        except WeComError as error:
            if len(error.args) > 1 and error.args[1].get("errcode") in TOKEN_ERRORS:
                cache.delete(self.token_key)
                return self._call(path, access_token=self._access_token(), **params)
            raise

    def userid_for_code(self, code: str) -> str | None:
        """The member's UserID for a login code; None for somebody who is no member of the company."""
        answer = self._with_token("auth/getuserinfo", code=code)
        return answer.get("userid") or answer.get("UserId") or None

    def member(self, userid: str) -> dict | None:
        """The member's directory entry (name, department, status); None when WeCom has no such member."""
        try:
            return self._with_token("user/get", userid=userid)
        except WeComError as error:
            if len(error.args) > 1 and error.args[1].get("errcode") == NO_SUCH_MEMBER:
                return None
            raise


class WeComBackend(BaseBackend):
    """`authenticate(request, wecom_code=…)`. A refusal the person should read is left on
    `request.sso_refusal`; Django's user_login_failed is sent as for a wrong password."""

    def authenticate(self, request, wecom_code: str | None = None, **kwargs):
        if not wecom_code:
            return None
        try:
            user, refusal = self._user_for_code(wecom_code)
        except WeComError as error:
            logger.warning("WeCom login failed: %s", error)
            user, refusal = None, _("暂时无法连接企业微信,请稍后再试,或使用用户名和密码登录。")
        if refusal and request is not None:
            request.sso_refusal = refusal
        return user

    def get_user(self, user_id):
        user = signed_in(user_id)
        return user if user is not None and user.is_active else None

    def _user_for_code(self, code: str) -> tuple[User | None, str | None]:
        client = WeComClient()
        userid = client.userid_for_code(code)
        if not userid:
            return None, _("只有本企业的企业微信成员才能登录。")
        user = User.objects.filter(wecom_userid__iexact=userid).first()  # WeCom UserIDs ignore case
        if user is None:
            unknown = _("您的企业微信账号(%(userid)s)尚未关联本系统的用户,请联系系统管理员。")
            return None, unknown % {"userid": userid}
        if not user.is_active:
            return None, _("您的账号已停用,请联系系统管理员。")
        member = client.member(userid)
        if member is None or member.get("status") in (DISABLED, LEFT):
            deactivate_from_directory(user, reason=f"WeCom member {userid} is disabled or gone")
            return None, _("您的账号已停用,请联系系统管理员。")
        follow_member(user, member)
        return user, None


def follow_member(user: User, member: dict) -> None:
    """The name WeCom has, and the branch of the member's department when departments are mapped."""
    name = str(member.get("name") or "").strip()[:150]
    if name and user.get_full_name() != name:
        user.last_name, user.first_name = name, ""
        user.save(update_fields=["last_name", "first_name"])
    if settings.WECOM_BRANCH_DEPARTMENTS:
        departments = [str(department) for department in member.get("department") or []]
        apply_assignment(
            user, assignment_for(departments, role_map={}, branch_map=settings.WECOM_BRANCH_DEPARTMENTS)
        )


def sync_members() -> dict[str, int]:
    """Every active account with a WeCom UserID: deactivated when WeCom disabled the member or no longer
    has it, else its name and branch refreshed."""
    client = WeComClient()
    counts = {"refreshed": 0, "deactivated": 0, "unreachable": 0}
    for user in User.objects.filter(is_active=True).exclude(wecom_userid="").order_by("pk"):
        try:
            member = client.member(user.wecom_userid)
        except WeComError as error:
            logger.warning("WeCom sync of %s failed: %s", user.username, error)
            counts["unreachable"] += 1
            continue
        if member is None or member.get("status") in (DISABLED, LEFT):
            deactivate_from_directory(user, reason=f"WeCom member {user.wecom_userid} is disabled or gone")
            counts["deactivated"] += 1
        else:
            follow_member(user, member)
            counts["refreshed"] += 1
    return counts
