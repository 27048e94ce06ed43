"""A scriptable HTTP server on loopback: canned answers in, a log of received requests out.

With `forward_to`, it is a proxy in front of another server (the sandbox): requests pass
through, and a canned answer can instead mangle the real answer (cut it off, swap in an HTML
page) after the server behind it has acted on the request.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class Canned:
    """One scripted answer: a status and body, or a stall, or a dropped connection.

    `when` picks the requests it answers (the first matching answer is used); `mangle` turns
    the forwarded server's real answer into this one: `(status, headers, body) -> same`.
    With `chunks`, the body is sent chunked instead, `chunk_delay` seconds between chunks.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    when: Callable[[Received], bool] | None = None
    mangle: Callable[[int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]] | None = None
    chunks: Iterable[bytes] | None = None
    chunk_delay: float = 0.0


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)


class StubServer:
    """Answers each request with the next canned answer (500 when the queue is empty)."""

    def __init__(self, forward_to: str | None = None) -> None:
        self.forward_to = forward_to
        self.answers: deque[Canned] = deque()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # clients that hung up
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """The server's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, status: int = 200, body: bytes | str = b"", **kwargs) -> None:
        """Queue a raw answer."""
        self.answers.append(
            Canned(status, body.encode() if isinstance(body, str) else body, **kwargs)
        )

    def add_json(self, status: int, document, headers: dict[str, str] | None = None) -> None:
        """Queue a JSON answer."""
        self.add(
            status,
            json.dumps(document),
            headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})},
        )

    def add_stream(
        self, chunks: Iterable[bytes], *, chunk_delay: float = 0.0, status: int = 200, **kwargs
    ) -> None:
        """Queue an answer sent chunk by chunk (Transfer-Encoding: chunked), however long."""
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        self.answers.append(
            Canned(status, headers=headers, chunks=chunks, chunk_delay=chunk_delay, **kwargs)
        )

    def mangle_next(self, mangle, when: Callable[[Received], bool] | None = None) -> None:
        """Forward the next matching request, then answer with `mangle` of the real answer."""
        self.answers.append(Canned(when=when, mangle=mangle))

    def _next(self, received: Received) -> Canned | None:
        with self._lock:
            self.received.append(received)
            for canned in self.answers:
                if canned.when is None or canned.when(received):
                    self.answers.remove(canned)
                    return canned
        if self.forward_to:
            return None  # passed through untouched
        return Canned(500, b"no canned answer left", {"Content-Type": "text/plain"})

    def _forward(self, received: Received, raw_query: str) -> tuple[int, dict[str, str], bytes]:
        skip = {"host", "content-length", "connection", "accept-encoding"}
        answer = requests.request(
            received.method,
            f"{self.forward_to}{received.path}{'?' + raw_query if raw_query else ''}",
            headers={k: v for k, v in received.headers.items() if k.lower() not in skip},
            data=received.body or None,
            timeout=30,
        )
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in {"content-length", "transfer-encoding", "connection"}
        }
        return answer.status_code, headers, answer.content

    def _handler_class(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                received = Received(
                    self.command,
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    dict(self.headers.items()),
                    self.rfile.read(length),
                )
                canned = stub._next(received)
                if canned is None or canned.mangle is not None:
                    status, headers, body = stub._forward(received, parts.query)
                    if canned is not None:
                        status, headers, body = canned.mangle(status, headers, body)
                    canned = Canned(status, body, headers)
                time.sleep(canned.delay)
                if canned.drop:
                    self.close_connection = True
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(canned.status)
                    for name, value in canned.headers.items():
                        self.send_header(name, value)
                    if canned.chunks is not None:
                        self._send_chunks(canned)
                        return
                    self.send_header("Content-Length", str(len(canned.body)))
                    self.end_headers()
                    self.wfile.write(canned.body)

            def _send_chunks(self, canned: Canned) -> None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in canned.chunks:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    time.sleep(canned.chunk_delay)
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = _answer

            def log_message(self, format, *args) -> None:  # noqa: A002 - the base signature
                return None

        return Handler
