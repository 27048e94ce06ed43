"""Bounded HTTP for every exchange with Intuit: a total deadline and a cap on the answer's size.

requests' `timeout` bounds each read of the socket, not the whole answer (requests' docs,
"Timeouts"; requests/requests#4276): a server that sends a byte every few seconds keeps a call
open for ever, and `response.content` holds however much it sends. So every session mounts
`BoundedAdapter`, and callers pass a `Deadline` as the timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from .config import QboConfig

_CHUNK_BYTES = 64 * 1024


class DeadlineExceeded(requests.Timeout):
    """The exchange was still going when its deadline passed."""


class ResponseTooLarge(requests.RequestException):
    """The answer is bigger than the cap; the rest of it was never read."""


@dataclass(frozen=True)
class Deadline:
    """When an exchange must be over (a `time.monotonic()` instant), and the per-read timeout."""

    at: float
    read_timeout: float
    seconds: float

    @classmethod
    def after(cls, seconds: float, *, read_timeout: float) -> Deadline:
        """A deadline `seconds` from now."""
        return cls(time.monotonic() + seconds, read_timeout, seconds)

    @classmethod
    def for_call(cls, config: QboConfig) -> Deadline:
        """The deadline of one call to QBO, as the configuration sets it."""
        return cls.after(config.deadline, read_timeout=config.timeout)

    def remaining(self) -> float:
        """Seconds left; zero or less once it has passed."""
        return self.at - time.monotonic()

    def read_timeout_now(self) -> float:
        """The socket timeout for the next read: never past the deadline."""
        remaining = self.remaining()
        if remaining <= 0:
            raise DeadlineExceeded(f"no complete answer within {self.seconds:g} s")
        return min(self.read_timeout, remaining)


class BoundedAdapter(HTTPAdapter):
    """Sends like requests' own adapter, then reads the body itself, against the deadline and
    the cap, so a slow or huge answer costs neither unbounded time nor memory."""

    def __init__(self, *, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def send(self, request, stream=False, timeout=None, **kwargs) -> requests.Response:
        if not isinstance(timeout, Deadline):
            raise TypeError("A QBO call's timeout must be a transport.Deadline")
        per_read = timeout.read_timeout_now()
        response = super().send(request, stream=True, timeout=(per_read, per_read), **kwargs)
        try:
            body = _body_read(response, timeout, self.max_bytes)
        except BaseException:
            response.close()
            raise
        # What requests' own Response.content leaves behind once it has read the body.
        response._content = body
        response._content_consumed = True
        response.raw.release_conn()
        return response


def _body_read(response: requests.Response, deadline: Deadline, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"the answer declares {int(declared)} bytes")
    raw = response.raw
    body = bytearray()
    while True:
        _socket_timeout_set(raw, deadline.read_timeout_now())
        try:
            # read1 returns whatever has arrived (decompressed, at most a chunk), so a trickle
            # comes back here after every few bytes and the deadline is checked again.
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
        except ReadTimeoutError as exc:
            if deadline.remaining() <= 0:
                raise DeadlineExceeded(f"no complete answer within {deadline.seconds:g} s") from exc
            raise requests.ConnectionError(exc) from exc
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise ResponseTooLarge(f"the answer is over {max_bytes} bytes")


def _socket_timeout_set(raw, seconds: float) -> None:
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)
