"""Local fakes of outside HTTP APIs (WeCom robot, WeChat Official Account, a webhook receiver): a real socket on
127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    def answer_json(self, answer: dict) -> None:
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def read_json(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `handler` in a thread for the block; yields the server's base URL (`https://localhost:…`
    with a `tls` context holding a certificate for localhost)."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_port}" if tls else f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """An outbound webhook's signature checked as a receiver does (the snippet of docs/webhooks.md)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class WebhookReceiver(BaseHTTPRequestHandler):
    """Records each request; answers with the next of `answers` (status, body), then 200."""

    received: list[dict] = []
    answers: list[tuple[int, str]] = []
    delay = 0.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        WebhookReceiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if WebhookReceiver.delay:
            time.sleep(WebhookReceiver.delay)
        status, text = WebhookReceiver.answers.pop(0) if WebhookReceiver.answers else (200, "ok")
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    @classmethod
    def reset(cls) -> None:
        cls.received, cls.answers, cls.delay = [], [], 0.0

    def log_message(self, *args):
        pass
