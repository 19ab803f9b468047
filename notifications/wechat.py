"""The WeChat Official Account (微信公众号) channel to customers: template messages (issue #17 item 5).

Off unless `WECHAT_BACKEND` names a backend (settings; like `SMS_BACKEND`). `OfficialAccountBackend`
talks to the WeChat API at `WECHAT_API_BASE` with the account's `WECHAT_APP_ID` / `WECHAT_APP_SECRET`:

- an access token from `GET /cgi-bin/token` (kept in the cache until shortly before it expires; a token
  the API calls expired or invalid — another server fetched a newer one — is fetched again and the
  message sent once more);
- a template message (`WECHAT_TEMPLATE_ID`) by `POST /cgi-bin/message/template/send` to the customer's
  openid, with the text in the template's `WECHAT_TEMPLATE_FIELD` and the link into the channel as the
  message's `url`;
- the openid of whoever opens the channel from the account's menu, from the web-authorisation code
  (`GET /sns/oauth2/access_token`, scope snsapi_base: no consent screen).

Any failure raises, so the notifications outbox records it and retries with back-off.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache

# The API's answers for a token that no longer works: invalid credential, invalid token, token expired.
STALE_TOKEN = {40001, 40014, 42001}
TOKEN_MARGIN_SECONDS = 300


class WeChatError(Exception):
    def __init__(self, answer: dict) -> None:
        super().__init__(f"WeChat errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
        self.errcode = answer.get("errcode")


class OfficialAccountBackend:
    def __init__(self) -> None:
        self.base = settings.WECHAT_API_BASE.rstrip("/")
        self.app_id = settings.WECHAT_APP_ID
        self.secret = settings.WECHAT_APP_SECRET

    def _call(self, path: str, query: dict, payload: dict | None = None) -> dict:
        url = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read() or b"{}")
        if answer.get("errcode", 0) != 0:
            raise WeChatError(answer)
        return answer

    def _token_key(self) -> str:
        return f"wechat:access-token:{self.app_id}"

    def access_token(self, *, fresh: bool = False) -> str:
        token = None if fresh else cache.get(self._token_key())
        if token:
            return token
        answer = self._call(
            "/cgi-bin/token", {"grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}
        )
        token = answer["access_token"]
        lifetime = max(int(answer.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS, 60)
        cache.set(self._token_key(), token, lifetime)
        return token

    def send(self, openid: str, text: str, url: str) -> None:
        """One template message to the follower, opening `url` when tapped."""
        payload = {
            "touser": openid,
            "template_id": settings.WECHAT_TEMPLATE_ID,
            "url": url,
            "data": {settings.WECHAT_TEMPLATE_FIELD: {"value": text}},
        }
        path = "/cgi-bin/message/template/send"
        try:
            self._call(path, {"access_token": self.access_token()}, payload)
        except WeChatError as exc:
            if exc.errcode not in STALE_TOKEN:
                raise
            self._call(path, {"access_token": self.access_token(fresh=True)}, payload)

    def openid_for_code(self, code: str) -> str:
        """The follower's openid from the code WeChat adds when it opens the menu's link."""
        answer = self._call(
            "/sns/oauth2/access_token",
            {"appid": self.app_id, "secret": self.secret, "code": code, "grant_type": "authorization_code"},
        )
        return str(answer["openid"])
