"""Outbound webhooks (issue #21 item 2): how one delivery is signed and posted to its endpoint.

Where events come from — each app builds its payload in its own `webhooks.py` and hands it to
`notifications.services.emit_event` inside the transaction of the change, so an event exists exactly
when the change was committed:

- `ticket.logged`: tickets.services._register_call (the desk, the API, the customer's channel);
- `ticket.dispatched`, `ticket.completed` (on-site visit or factory repair done), `ticket.accepted`,
  `ticket.closed` (follow-up done): tickets.services.apply_transition;
- `claim.approved`: claims.services._approved (the last level approved);
- `part.issued`: parts.services.issue_requisition (each issue, partial ones included);
- `survey.answered`: surveys.services.store_answers (agent, link or the customer's channel).

The delivery rows go out through the notifications outbox (notifications.tasks): queued after the
commit, one worker per row (`SKIP LOCKED`), retried with back-off by the sweep.

The request: `POST` of the JSON envelope `{"id", "type", "created_at", "data"}` with the headers
`X-Aftersales-Event`, `X-Aftersales-Event-Id` (the same on every retry and replay: receivers de-duplicate
on it) and `X-Aftersales-Signature: t=<unix time>,v1=<hex>`, where `v1` is HMAC-SHA256 with the endpoint's
secret over `"<t>." + body` (docs/webhooks.md shows how to check it).

Endpoints are registered by administrators, who are trusted; still, only http and https are spoken,
redirects are not followed, each request times out after WEBHOOK_TIMEOUT_SECONDS, and addresses that are
not public (loopback, private, link-local: the server's own network) are refused unless
WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on. The address checked is the address connected to (no second DNS
look-up that a rebinding name could answer differently).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from notifications.models import WEBHOOK_SCHEMES, WebhookDelivery

RESPONSE_BODY_CHARS = 2000
RESPONSE_READ_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Aftersales-Signature"
USER_AGENT = "aftersales-webhooks/1"


class WebhookError(Exception):
    """The delivery did not reach a receiver that answered 2xx."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    duration_ms: int


def site_url(path: str) -> str:
    """A page of this site as a receiver can open it (payloads' `url`)."""
    return settings.SITE_URL.rstrip("/") + path


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def envelope_body(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes for every attempt and replay of an event."""
    event = delivery.event
    envelope = {
        "id": str(event.event_id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_unspecified or ip.is_multicast:
        return False
    return ip.is_global or settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES


def _addresses_for(host: str, port: int) -> list[str]:
    """The host's addresses that may be connected to; refuses when none may."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise WebhookError(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    allowed = [address for address in addresses if _allowed(address)]
    if not allowed:
        raise WebhookError(
            f"{host} resolves to {', '.join(addresses)}: not a public address "
            "(WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off)"
        )
    return allowed


def _connect(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A socket to the first of the checked addresses that answers (IPv6 and IPv4 alike)."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects only to the checked addresses; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host's name (not the address)."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = self.tls.wrap_socket(
            _connect(self.addresses, self.port, self.timeout), server_hostname=self.host
        )


def post(delivery: WebhookDelivery) -> Answer:
    """Send the delivery's event to its endpoint once, freshly signed; the receiver's answer, whatever its
    status. Raises WebhookError when no answer came (refused address, timeout, connection error)."""
    endpoint = delivery.endpoint
    parts = urlsplit(endpoint.url)
    if parts.scheme not in WEBHOOK_SCHEMES or not parts.hostname:
        raise WebhookError(f"not an http(s) URL: {endpoint.url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses_for(parts.hostname, port)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        parts.hostname, port, addresses=addresses, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    body = envelope_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Aftersales-Event": delivery.event.type,
        "X-Aftersales-Event-Id": str(delivery.event.event_id),
        "X-Aftersales-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: signature(endpoint.secret, int(time.time()), body),
    }
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(RESPONSE_READ_BYTES).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    duration_ms = round((time.monotonic() - started) * 1000)
    return Answer(status=response.status, body=text[:RESPONSE_BODY_CHARS], duration_ms=duration_ms)
