"""A small round-robin HTTP proxy in front of several web instances, as a load balancer does (`make scale`;
nginx is not installed here).

Each request goes to the next instance in turn. An instance that fails is passed over for DOWN_SECONDS
(then tried again). A request is sent again to the next instance when nothing reached the failed one
(the connection was refused), or when the request is idempotent (GET, HEAD) and the connection broke
before an answer came; a POST that was sent and got no answer is answered 502, never sent twice
(the client's idempotency key, where the app has one, is for the client's own resend). Every answer
is logged (time, method, path, instance, status, tries), so a run can tell which instance wrote what and
when the only 5xx happened.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DOWN_SECONDS = 5.0
UPSTREAM_TIMEOUT = 90.0  # longer than gunicorn's worker timeout (60 s): gunicorn answers first
IDEMPOTENT = frozenset({"GET", "HEAD"})
# Headers of one connection, not of the message (RFC 9110 §7.6.1): not passed on.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass(frozen=True)
class Answer:
    """One request as the proxy answered it: `backend` is the instance that answered (None: none did)."""

    t: float
    method: str
    path: str
    backend: str | None
    status: int
    tries: int


@dataclass
class Backend:
    url: str
    down_until: float = 0.0
    host: str = field(init=False)
    port: int = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80


class SentNoAnswer(Exception):
    """The request reached the instance, which gave no answer (it died, or closed the connection)."""


class Balancer:
    """Which instance next, and what happened: the part of the proxy that has no sockets of its own."""

    def __init__(self, backends: list[str]) -> None:
        if not backends:
            raise ValueError("at least one backend")
        self.backends = [Backend(url) for url in backends]
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self.answers: list[Answer] = []

    def order(self, now: float | None = None) -> list[Backend]:
        """Every instance once, starting with the next in turn; those marked down last."""
        now = time.monotonic() if now is None else now
        with self._lock:
            start = next(self._turn) % len(self.backends)
        turn = self.backends[start:] + self.backends[:start]
        return [b for b in turn if b.down_until <= now] + [b for b in turn if b.down_until > now]

    def mark_down(self, backend: Backend) -> None:
        backend.down_until = time.monotonic() + DOWN_SECONDS

    def forward(self, method: str, path: str, send) -> tuple[int, list[tuple[str, str]], bytes]:
        """`send(backend)` → (status, headers, body), raising ConnectionRefusedError when nothing was
        sent and SentNoAnswer when the request went out and no answer came back."""
        tries, answer = 0, None
        for backend in self.order():
            tries += 1
            try:
                answer = send(backend)
            except ConnectionRefusedError:
                self.mark_down(backend)
                continue
            except SentNoAnswer:
                self.mark_down(backend)
                if method in IDEMPOTENT:
                    continue
                break
            self._log(method, path, backend.url, answer[0], tries)
            return answer
        self._log(method, path, None, 502, tries)
        return 502, [("Content-Type", "text/plain; charset=utf-8")], b"502 no web instance answered\n"

    def _log(self, method: str, path: str, backend: str | None, status: int, tries: int) -> None:
        with self._lock:
            self.answers.append(Answer(time.time(), method, path, backend, status, tries))


def send_http(
    backend: Backend, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request on a new connection to `backend` (loopback: cheap), the whole answer read."""
    connection = http.client.HTTPConnection(backend.host, backend.port, timeout=UPSTREAM_TIMEOUT)
    try:
        try:
            connection.connect()
        except ConnectionRefusedError:
            raise
        except OSError as exc:
            raise ConnectionRefusedError(str(exc)) from exc
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body or None)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise SentNoAnswer(str(exc)) from exc
        kept = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
        return response.status, kept, payload
    finally:
        connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive with the clients, as a load balancer does
    server: ProxyServer

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = [(name, value) for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP]
        if body:
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        status, answer_headers, payload = self.server.balancer.forward(
            self.command,
            self.path,
            lambda backend: send_http(backend, self.command, self.path, headers, body),
        )
        self.send_response_only(status)
        for name, value in answer_headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _proxy

    def log_message(self, format, *args) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        pass  # every answer is in the balancer's log


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, backends: list[str], port: int = 0) -> None:
        self.balancer = Balancer(backends)
        super().__init__(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProxyServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()
