"""A local fake OpenID Connect provider on 127.0.0.1: discovery, the authorize redirect (whoever
`signed_in` names is signed in at the provider), the token endpoint issuing RS256-signed id_tokens,
userinfo and the JWKS. Enough of the protocol for the authorization-code flow a browser goes through."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_http import JsonHandler, serving

CLIENT_ID = "aftersales"
CLIENT_SECRET = "client-secret-for-tests"


class Provider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.url = ""
        self.signed_in: dict | None = None  # the claims of whoever signs in at the provider
        self.sign_with: rsa.RSAPrivateKey | None = None  # another key: a forged id_token
        self.audience = CLIENT_ID
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [public | {"kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> str:
        """Where the provider sends the browser back: the redirect_uri with a code, or with an error."""
        if self.signed_in is None:
            answer = {"error": "access_denied", "state": query["state"]}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": query.get("nonce"),
                "redirect_uri": query["redirect_uri"],
                "client_id": query["client_id"],
                "claims": dict(self.signed_in),
            }
            answer = {"code": code, "state": query["state"]}
        return f"{query['redirect_uri']}?{urlencode(answer)}"

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = self.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": grant["claims"]["sub"],
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        id_token = jwt.encode(
            claims, self.sign_with or self.key, algorithm="RS256", headers={"kid": self.kid}
        )
        access_token = secrets.token_urlsafe(16)
        self.access_tokens[access_token] = grant["claims"]
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }


def _handler(provider: Provider) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self.answer_json(provider.discovery())
            elif url.path == "/jwks":
                self.answer_json(provider.jwks())
            elif url.path == "/authorize":
                self.send_response(302)
                self.send_header("Location", provider.authorize(query))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif url.path == "/userinfo":
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                claims = provider.access_tokens.get(bearer)
                if claims is None:
                    self.send_error(401)
                else:
                    self.answer_json(claims)
            else:
                self.send_error(404)

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            if urlsplit(self.path).path != "/token":
                self.send_error(404)
                return
            status, answer = provider.token(form)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    with serving(_handler(provider)) as url:
        provider.url = url
        yield provider
