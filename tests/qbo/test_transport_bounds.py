"""Every call to QBO ends by its deadline and reads a bounded answer, however the server sends
it: a byte at a time (requests' timeout is per read, so that alone never ends), or hundreds of
megabytes (which used to be read whole into the worker's memory)."""

import os
import threading
import time

import pytest

from integrations.qbo import oauth
from integrations.qbo.client import QboClient
from integrations.qbo.errors import (
    OAuthError,
    QboResponseTooLargeError,
    QboServerError,
    QboTransportError,
)

from .stub_server import StubServer
from .test_client import REALM, Tokens, make_config

MIB = 1024 * 1024
ANSWER = b'{"QueryResponse": {"Item": []}}' + b" " * 30


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


def trickle(body: bytes = ANSWER):
    """The answer, one byte per chunk."""
    return [body[i : i + 1] for i in range(len(body))]


class PeakMemory:
    """The largest growth of this process's resident memory while the block runs."""

    def __init__(self) -> None:
        self.growth = 0
        self._stop = threading.Event()

    @staticmethod
    def _resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self, baseline: int) -> None:
        while not self._stop.wait(0.002):
            self.growth = max(self.growth, self._resident() - baseline)

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, args=(self._resident(),))
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def test_a_trickling_answer_ends_at_the_deadline_as_a_retriable_transport_error(stub):
    # Each byte comes well inside the 2 s read timeout, so only a total deadline can end it.
    stub.add_stream(trickle(), chunk_delay=0.2)
    client = QboClient(make_config(stub.url, deadline=1.0, max_retries=3), REALM, Tokens())

    started = time.monotonic()
    with pytest.raises(QboTransportError) as failed:
        client.query("SELECT * FROM Item")

    assert time.monotonic() - started < 3  # the whole trickle takes 12 s
    assert failed.value.retriable and "within 1 s" in str(failed.value)
    assert len(stub.received) == 1  # no retry starts past the deadline


@pytest.mark.parametrize(
    "call",
    [
        lambda config: oauth.exchange_code(config, "the-code"),
        lambda config: oauth.refresh_tokens(config, "AB11-refresh"),
        lambda config: oauth.revoke_token(config, "AB11-refresh"),
    ],
    ids=["exchange", "refresh", "revoke"],
)
def test_the_oauth_endpoints_end_at_the_deadline_too(stub, call):
    stub.add_stream(
        trickle(b'{"access_token": "a", "refresh_token": "r"}' + b" " * 20), chunk_delay=0.2
    )

    started = time.monotonic()
    with pytest.raises(OAuthError) as failed:
        call(make_config(stub.url, deadline=1.0))

    assert time.monotonic() - started < 3
    assert failed.value.retriable and failed.value.error == "transport_error"


def test_a_retry_never_sleeps_past_the_deadline(stub):
    stub.add_json(
        503, {"Fault": {"Error": [{"Message": "Busy", "code": "10000"}]}}, {"Retry-After": "1"}
    )
    stub.add_json(200, {"QueryResponse": {}})
    client = QboClient(make_config(stub.url, deadline=0.5), REALM, Tokens())

    with pytest.raises(QboServerError):
        client.query("SELECT * FROM Item")

    assert len(stub.received) == 1


def test_a_huge_answer_is_refused_unread_and_memory_stays_flat(stub):
    block = b" " * MIB
    stub.add_stream([b'{"QueryResponse": {"Item": ['] + [block] * 96)
    client = QboClient(make_config(stub.url, max_response_bytes=MIB), REALM, Tokens())

    with PeakMemory() as memory, pytest.raises(QboResponseTooLargeError) as refused:
        client.query("SELECT * FROM Item")

    assert memory.growth < 16 * MIB, f"grew {memory.growth / MIB:.0f} MiB for a 96 MiB answer"
    assert not refused.value.retriable
    assert str(refused.value).startswith("Ask whoever runs Distru to raise QBO_MAX_RESPONSE_BYTES")
    assert len(stub.received) == 1


def test_an_answer_declaring_a_huge_length_is_refused_before_reading(stub):
    stub.add(200, b"{}", headers={"Content-Type": "application/json"})
    client = QboClient(make_config(stub.url, max_response_bytes=1), REALM, Tokens())

    with pytest.raises(QboResponseTooLargeError, match="declares 2 bytes"):
        client.query("SELECT * FROM Item")
