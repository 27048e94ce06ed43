"""A scriptable HTTP server on loopback: canned answers in, a log of received requests out."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Canned:
    """One scripted answer: a status and body, or a stall, or a dropped connection."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


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

    def __init__(self) -> None:
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

    def _next(self, received: Received) -> Canned:
        with self._lock:
            self.received.append(received)
            if self.answers:
                return self.answers.popleft()
        return Canned(500, b"no canned answer left", {"Content-Type": "text/plain"})

    def _handler_class(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                canned = stub._next(
                    Received(
                        self.command,
                        parts.path,
                        {k: v[-1] for k, v in parse_qs(parts.query).items()},
                        dict(self.headers.items()),
                        self.rfile.read(length),
                    )
                )
                time.sleep(canned.delay)
                if canned.drop:
                    self.close_connection = True
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(canned.status)
                    for name, value in canned.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(canned.body)))
                    self.end_headers()
                    self.wfile.write(canned.body)

            do_GET = do_POST = _answer

            def log_message(self, format, *args) -> None:  # noqa: A002 - the base signature
                return None

        return Handler
