"""A token inside a QuickBooks answer never reaches an error's text, however it is written:
split by punctuation, quoted, URL-encoded, base64 inside JSON, shorter than 40 characters, cut
where the text is clipped, or shaped like nothing at all but held by the client."""

import base64
import json
from urllib.parse import quote

import pytest

from integrations.qbo.client import QboClient
from integrations.qbo.errors import QboError, parse_fault
from tests.qbo.stub_server import StubServer
from tests.qbo.test_client import REALM, make_config

# Fixed, so every shape below is exercised the same way on every run.
INTUIT_REFRESH = "AB11746102847Xq3vLmNp0aZ8kYtRw5sBdEfGhJcUi2oP"
SANDBOX_ACCESS = "eyJsYW5kYm94IjoxfQ.Qm9vbS1ub3QtYS1yZWFsLXRva2VuLWp1c3QtdGVzdGluZw"
SHORT_REFRESH = "RT1-9fQk2LwZx7TmVb3NcYd8"
FRAGMENT = 12  # a piece this long of a token is a leak


def _pieces(token: str) -> list[str]:
    return [token[i : i + FRAGMENT] for i in range(0, len(token) - FRAGMENT + 1)]


def _leaked(token: str, error: QboError) -> list[str]:
    texts = [str(error), error.message, error.detail, json.dumps(error.errors)]
    return [piece for piece in _pieces(token) for text in texts if piece in text]


def _fault(detail: str, status: int = 400) -> QboError:
    body = {"Fault": {"Error": [{"Message": "Request refused", "Detail": detail, "code": "6000"}]}}
    return parse_fault(status, json.dumps(body).encode(), "application/json", {})


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("secret", "detail"),
    [
        # Intuit's own 401 shows the first 50 characters; the sandbox's access token has one dot.
        (SANDBOX_ACCESS, f"Token invalid: {SANDBOX_ACCESS[:50]}"),
        (SHORT_REFRESH, f"Token expired: {SHORT_REFRESH}"),
        (INTUIT_REFRESH, f"refresh_token={INTUIT_REFRESH[:20]}.{INTUIT_REFRESH[20:]}"),
        (INTUIT_REFRESH, f'{{"refresh_token": "{INTUIT_REFRESH[:30]}"}}'),
        (_b64(SHORT_REFRESH), f"token={quote(_b64(SHORT_REFRESH))}"),
        (
            _b64(f'{{"rt": "{SHORT_REFRESH}"}}'),
            json.dumps({"state": _b64(f'{{"rt": "{SHORT_REFRESH}"}}')}),
        ),
    ],
    ids=["first-50-one-dot", "under-40", "split-by-a-dot", "quoted-prefix", "url-b64", "b64-json"],
)
def test_a_token_in_any_shape_is_redacted_from_the_fault(secret, detail):
    error = _fault(detail)

    assert "[redacted]" in error.detail
    assert _leaked(secret, error) == []


def test_a_token_cut_where_the_detail_is_clipped_leaves_no_piece_behind():
    # The detail is scanned up to 4000 characters and kept to 1000. Redacting the tokens
    # before the cut shortens the text, so the 15 characters left of the last token would
    # land in what is kept, too short to look like a token: the cut must drop them.
    cut_token = "AB11900000001Yq7wLmNp0aZ8kYtRw5sBdEfGhJcUi2oP"
    filler = " ".join([f"t={SANDBOX_ACCESS}"] * 56).ljust(4000 - 15)
    error = _fault(filler + cut_token)

    assert len(error.detail) < 1000
    assert _leaked(cut_token, error) == [] and _leaked(SANDBOX_ACCESS, error) == []


def test_a_token_the_client_holds_is_redacted_even_when_it_looks_like_a_word():
    held = "plainlowercasetokenwithoutdigits"  # no shape gives it away
    tokens = type("Held", (), {"access_token": lambda self: held})()
    with StubServer() as stub:
        stub.add_json(400, _fault_body(f"Bearer {held[:16]} {held[16:]} refused"))
        client = QboClient(make_config(stub.url, max_retries=0), REALM, tokens)
        with pytest.raises(QboError) as refused:
            client.read("Item", "5")

    assert "Bearer [redacted] [redacted] refused" in refused.value.detail
    assert _leaked(held, refused.value) == []


def test_plain_words_ids_and_intuit_tids_stay_readable():
    detail = (
        "Invalid Reference Id : Accounts element id 9341453050298375 not found; "
        "Line.SalesItemLineDetail.ItemRef intuit_tid 1-5f7349e0-0fd2bee86a8a83c67a77fbb2"
    )
    assert _fault(detail).detail == detail


def _fault_body(detail: str) -> dict:
    return {"Fault": {"Error": [{"Message": "Refused", "Detail": detail, "code": "6000"}]}}
