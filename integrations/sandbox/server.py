"""A small threaded HTTP/1.1 server (keep-alive) for the sandbox's WSGI app.

wsgiref speaks HTTP/1.0 and closes every connection, and http.server parses headers with the
email package; both cap the sandbox well below the 1,000 requests a second its benchmark needs.
Neither can drop a connection after a write either, which `drop_after_commit` needs.
"""

from __future__ import annotations

import io
import logging
import socket
import socketserver
import sys
import threading
from pathlib import Path

from integrations.sandbox.backend import Backend, save_state
from integrations.sandbox.wsgi import DROP_KEY, SandboxApp

logger = logging.getLogger(__name__)

MAX_LINE = 65536
MAX_HEADERS = 100


class _BadRequest(Exception):
    pass


class _Handler(socketserver.StreamRequestHandler):
    disable_nagle_algorithm = True  # small keep-alive responses would otherwise wait ~40 ms

    def handle(self) -> None:
        try:
            while self._one_request():
                pass
        except (ConnectionError, TimeoutError):
            return
        except _BadRequest as error:
            self._send(b"HTTP/1.1 400 Bad Request", [("Content-Type", "text/plain")],
                       str(error).encode(), close=True)  # fmt: skip

    def _read_head(self) -> tuple[str, str, str, dict[str, str]] | None:
        line = self.rfile.readline(MAX_LINE + 1)
        while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
            line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise _BadRequest("malformed request line")
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            raw = self.rfile.readline(MAX_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                return parts[0], parts[1], parts[2], headers
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep:
                raise _BadRequest("malformed header")
            headers[name.strip().lower()] = value.strip()
        raise _BadRequest("too many headers")

    def _one_request(self) -> bool:
        head = self._read_head()
        if head is None:
            return False
        method, target, version, headers = head
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _BadRequest("chunked request bodies are not supported; send Content-Length")
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = target.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(length),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": version,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in {"CONTENT_TYPE"} else "HTTP_" + key] = value
        answer: list = []

        def start_response(status, response_headers, exc_info=None):
            answer[:] = [status, response_headers]

        chunks = self.server.app(environ, start_response)
        if environ.get(DROP_KEY):
            self.connection.shutdown(socket.SHUT_RDWR)
            return False
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        status, response_headers = answer
        payload = b"" if method == "HEAD" else b"".join(chunks)
        self._send(f"HTTP/1.1 {status}".encode(), response_headers, payload, close)
        return not close

    def _send(self, status_line: bytes, headers: list, body: bytes, close: bool) -> None:
        lines = [status_line]
        lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
        if not any(name.lower() == "content-length" for name, _ in headers):
            lines.append(f"Content-Length: {len(body)}".encode())
        if close:
            lines.append(b"Connection: close")
        self.wfile.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)


class SandboxServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """One thread per connection; connections stay open between requests."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8765):
        self.app = app
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        """The base URL clients use."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Serve `app` from a daemon thread (port 0 picks a free port); stop with `shutdown()`."""
    server = SandboxServer(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="qbo-sandbox", daemon=True)
    thread.start()
    return server


def serve(backend: Backend, host: str, port: int, state_file: Path | None, save_every: float):
    """Serve until interrupted; with a state file, save it every `save_every` s and on exit."""
    server = SandboxServer(SandboxApp(backend), host, port)
    stop = threading.Event()

    def keep_saving() -> None:
        while not stop.wait(save_every):
            save_state(backend, state_file)

    if state_file is not None:
        threading.Thread(target=keep_saving, name="qbo-sandbox-save", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        stop.set()
        server.server_close()
        if state_file is not None:
            save_state(backend, state_file)
