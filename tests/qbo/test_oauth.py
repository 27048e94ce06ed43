"""Intuit OAuth calls against a loopback stub: what is sent, what comes back, what fails how."""

import base64
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.qbo import oauth
from integrations.qbo.errors import OAuthError, OAuthInvalidGrantError

from .stub_server import StubServer
from .test_client import make_config

TOKENS = {
    "access_token": "eyJlbmMiOiJBMTI4Q0JDIn0.access.part",
    "refresh_token": "AB11700000000refreshtokenvalue0000000000000001",
    "token_type": "bearer",
    "expires_in": 3600,
    "x_refresh_token_expires_in": 8726400,
}
BASIC = "Basic " + base64.b64encode(b"client-id:client-secret").decode()


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


def form(request) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}


def test_the_authorization_url_asks_for_accounting_with_state():
    config = make_config("https://sandbox.example.test")

    url = oauth.authorization_url(config, "state-123")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == config.authorize_url
    assert {k: v[-1] for k, v in parse_qs(parts.query).items()} == {
        "client_id": "client-id",
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "redirect_uri": config.redirect_uri,
        "state": "state-123",
    }


def test_exchange_code_posts_a_form_with_basic_auth_and_returns_the_tokens(stub):
    stub.add_json(200, TOKENS, {"intuit_tid": "tid-1"})
    config = make_config(stub.url)

    tokens = oauth.exchange_code(config, "the-code")

    request = stub.received[0]
    assert (request.method, request.path) == ("POST", "/oauth2/v1/tokens/bearer")
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request) == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": config.redirect_uri,
    }
    assert tokens == oauth.TokenSet(TOKENS["access_token"], TOKENS["refresh_token"], 3600, 8726400)


def test_a_token_set_never_shows_its_tokens():
    text = repr(oauth.TokenSet(TOKENS["access_token"], TOKENS["refresh_token"], 3600, None))

    assert TOKENS["access_token"] not in text
    assert TOKENS["refresh_token"] not in text
    assert "3600" in text


def test_refresh_returns_the_rolled_refresh_token(stub):
    stub.add_json(200, {**TOKENS, "refresh_token": "AB11700000000rolled"})

    tokens = oauth.refresh_tokens(make_config(stub.url), "AB11700000000old")

    request = stub.received[0]
    assert request.headers["Authorization"] == BASIC
    assert form(request) == {"grant_type": "refresh_token", "refresh_token": "AB11700000000old"}
    assert tokens.refresh_token == "AB11700000000rolled"


def test_invalid_grant_means_the_user_must_reconnect(stub):
    stub.add_json(400, {"error": "invalid_grant", "error_description": "Token invalid"})

    with pytest.raises(OAuthInvalidGrantError) as caught:
        oauth.refresh_tokens(make_config(stub.url), "AB11700000000old")

    assert caught.value.error == "invalid_grant"
    assert caught.value.description == "Token invalid"
    assert not caught.value.retriable


def test_other_token_errors_carry_their_oauth_error_code(stub):
    stub.add_json(401, {"error": "invalid_client"})

    with pytest.raises(OAuthError) as caught:
        oauth.exchange_code(make_config(stub.url), "code")

    assert type(caught.value) is OAuthError
    assert caught.value.error == "invalid_client"
    assert caught.value.status == 401


def test_an_html_error_page_from_the_token_endpoint_is_retriable(stub):
    stub.add(503, "<html><title>Down</title></html>", headers={"Content-Type": "text/html"})

    with pytest.raises(OAuthError) as caught:
        oauth.refresh_tokens(make_config(stub.url), "AB11700000000old")

    assert caught.value.retriable
    assert caught.value.error == "http_503"


def test_a_token_answer_without_an_access_token_is_an_oauth_error(stub):
    stub.add_json(200, {"token_type": "bearer"})

    with pytest.raises(OAuthError, match="missing_token"):
        oauth.exchange_code(make_config(stub.url), "code")


def test_a_timeout_at_the_token_endpoint_is_a_retriable_oauth_error(stub):
    stub.add_json(200, TOKENS)
    stub.answers[0].delay = 0.5

    with pytest.raises(OAuthError) as caught:
        oauth.refresh_tokens(make_config(stub.url, timeout=0.1), "AB11700000000old")

    assert caught.value.error == "transport_error"
    assert caught.value.retriable


def test_revoke_posts_the_token_as_json_with_basic_auth(stub):
    stub.add(200)
    stub.add_json(400, {"error": "invalid_request"})
    config = make_config(stub.url)

    oauth.revoke_token(config, "AB11700000000old")
    with pytest.raises(OAuthError, match="invalid_request"):
        oauth.revoke_token(config, "AB11700000000old")

    request = stub.received[0]
    assert (request.method, request.path) == ("POST", "/v2/oauth2/tokens/revoke")
    assert request.headers["Authorization"] == BASIC
    assert request.json() == {"token": "AB11700000000old"}


def test_no_token_or_secret_reaches_the_logs_even_at_debug_level(stub, caplog):
    caplog.set_level(logging.DEBUG)
    stub.add_json(200, TOKENS, {"intuit_tid": "tid-7"})

    oauth.exchange_code(make_config(stub.url), "the-code")

    everything = "\n".join(record.getMessage() for record in caplog.records)
    assert "qbo oauth exchange_code status=200" in everything
    assert "intuit_tid=tid-7" in everything
    for secret in (TOKENS["access_token"], TOKENS["refresh_token"], "client-secret", BASIC):
        assert secret not in everything
