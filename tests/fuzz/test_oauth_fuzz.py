"""Intuit's token endpoint: any answer gives a TokenSet or an OAuthError, never a crash."""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from integrations.qbo import oauth
from integrations.qbo.errors import OAuthError, OAuthInvalidGrantError

from ..qbo.stub_server import StubServer
from ..qbo.test_client import make_config
from .strategies import CONTENT_TYPES, any_body, dumps, fuzz_settings, json_values
from .test_client_fuzz import response
from .test_faults_fuzz import assert_readable

GOOD = {
    "access_token": "eyJlbmMiOiJBMTI4Q0JDIn0.access.part",
    "refresh_token": "AB11700000000refreshtokenvalue0000000000000001",
    "token_type": "bearer",
    "expires_in": 3600,
    "x_refresh_token_expires_in": 8726400,
}
odd_values = json_values | st.sampled_from(["", " ", "3600", "-1", "1e400", "abc", 1e400, 2**80])
token_answers = st.builds(
    lambda base, changes, drop: {
        **{k: v for k, v in base.items() if k not in drop},
        **changes,
    },
    st.just(GOOD),
    st.dictionaries(
        st.sampled_from([*GOOD, "scope", "error", "error_description", "expires_at", "idToken"]),
        odd_values,
        max_size=3,
    ),
    st.sets(st.sampled_from(list(GOOD)), max_size=2),
)


@fuzz_settings(200)
@given(document=token_answers | json_values)
@example(document={**GOOD, "scope": 5})
@example(document=[GOOD])
@example(document={**GOOD, "expires_in": None})
@example(document={"error": "invalid_grant"})
@example(document={"error": ["x"], "error_description": {"a": 1}})
def test_a_token_answer_is_a_usable_token_or_an_oauth_error(document):
    try:
        token = oauth.token_answer_check(dumps(document))
    except OAuthError as error:
        assert_readable(error)
        if isinstance(document, dict) and document.get("error") == "invalid_grant":
            assert isinstance(error, OAuthInvalidGrantError)
    else:
        assert isinstance(token["access_token"], str) and token["access_token"].strip()


@fuzz_settings(100)
@given(body=any_body)
def test_a_token_answer_body_of_any_bytes_is_checked_without_crashing(body):
    try:
        oauth.token_answer_check(body)
    except OAuthError as error:
        assert_readable(error)


@fuzz_settings(100)
@given(status=st.sampled_from([400, 401, 403, 429, 500, 502, 503]), body=any_body, ct=CONTENT_TYPES)
@example(status=400, body=b'{"error": "' + b"e" * 5000 + b'"}', ct="application/json")
@example(status=400, body=b"[" * 5000, ct="application/json")
def test_an_error_answer_from_the_token_endpoint_is_a_readable_oauth_error(status, body, ct):
    error = oauth._error_from_response(response(status, body, ct))

    assert isinstance(error, OAuthError)
    assert_readable(error)
    assert len(error.error) <= 100
    assert error.retriable == (status >= 500 or status == 429)


@pytest.fixture(scope="module")
def stub():
    with StubServer() as server:
        yield server


# Through HTTP and requests-oauthlib, the way a refresh really runs: a sample, it is slower.
@fuzz_settings(40)
@given(
    status=st.sampled_from([200, 200, 200, 400, 401, 503]),
    document=token_answers | json_values,
    raw=st.none() | any_body,
)
@example(status=200, document={**GOOD, "scope": 5}, raw=None)
@example(status=200, document={"error": "invalid_grant"}, raw=None)
@example(status=200, document=None, raw=b'{"access_token": "abc", "refresh')
@example(status=200, document=None, raw=b"<html><title>502</title></html>")
def test_a_refresh_gives_a_token_set_or_an_oauth_error_for_any_answer(stub, status, document, raw):
    stub.answers.clear()
    stub.add(
        status,
        raw if raw is not None else dumps(document),
        headers={"Content-Type": "application/json"},
    )
    try:
        tokens = oauth.refresh_tokens(make_config(stub.url), "AB11700000000old")
    except OAuthError as error:
        assert_readable(error)
    else:
        assert status == 200
        assert isinstance(tokens.access_token, str) and isinstance(tokens.refresh_token, str)
        assert isinstance(tokens.expires_in, int)


def test_a_cut_off_token_answer_is_retriable_and_says_so(stub):
    stub.answers.clear()
    stub.add(200, json.dumps(GOOD)[:40], headers={"Content-Type": "application/json"})

    with pytest.raises(OAuthError) as caught:
        oauth.refresh_tokens(make_config(stub.url), "AB11700000000old")

    assert caught.value.retriable
    assert caught.value.error == "malformed_response"
    assert "cut off" in str(caught.value)


def test_invalid_grant_in_a_200_answer_still_means_reconnect(stub):
    stub.answers.clear()
    stub.add_json(200, {"error": "invalid_grant", "error_description": "Token revoked"})

    with pytest.raises(OAuthInvalidGrantError):
        oauth.refresh_tokens(make_config(stub.url), "AB11700000000old")


def test_a_transport_failure_is_an_oauth_error_too():
    config = make_config("http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(OAuthError) as caught:
        oauth.refresh_tokens(config, "AB11700000000old")
    assert caught.value.retriable
