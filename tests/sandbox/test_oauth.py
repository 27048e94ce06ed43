"""The sandbox's OAuth 2.0 endpoints behave as Intuit's do."""

from urllib.parse import parse_qs, urlsplit

import pytest

REDIRECT = "http://127.0.0.1:8000/settings/integrations/quickbooks/callback/"
SCOPE = "com.intuit.quickbooks.accounting"
SLACK = 30  # seconds of real time a test may take while the sandbox's clock runs on


def _authorize(sandbox, method="GET", **overrides):
    params = {
        "client_id": sandbox.client_id,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        **overrides,
    }
    url = sandbox.url("/connect/oauth2")
    if method == "GET":
        return sandbox.http.get(url, params=params)
    return sandbox.http.post(url, data=params, allow_redirects=False)


def _redirect_params(response) -> dict:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _token(sandbox, auth=None, **form):
    auth = auth or (sandbox.client_id, sandbox.client_secret)
    return sandbox.http.post(sandbox.url("/oauth2/v1/tokens/bearer"), data=form, auth=auth)


def _connect(sandbox) -> dict:
    code = _redirect_params(_authorize(sandbox, "POST", decision="connect"))["code"]
    response = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200
    return response.json()


def test_consent_page_names_the_company(qbo_sandbox):
    """GET /connect/oauth2 shows a page naming the company, with Connect and Cancel."""
    response = _authorize(qbo_sandbox)
    assert response.status_code == 200
    assert "Green Valley Distribution (Sandbox)" in response.text
    assert "Connect" in response.text and "Cancel" in response.text


@pytest.mark.parametrize(
    "overrides",
    [{"client_id": "someone-else"}, {"response_type": "token"}, {"scope": "openid"}, {"state": ""}],
)
def test_consent_page_refuses_a_bad_request(qbo_sandbox, overrides):
    """An unknown client, a wrong response_type or scope, or no state gets an error page."""
    response = _authorize(qbo_sandbox, **overrides)
    assert response.status_code == 400
    assert "Something went wrong" in response.text


def test_connect_redirects_with_code_state_and_realm(qbo_sandbox):
    """Connect redirects to redirect_uri with code, state and realmId."""
    params = _redirect_params(_authorize(qbo_sandbox, "POST", decision="connect"))
    assert params["state"] == "xyz"
    assert params["realmId"] == qbo_sandbox.realm_id
    assert params["code"]


def test_cancel_redirects_with_access_denied(qbo_sandbox):
    """Cancel redirects with error=access_denied and the state."""
    params = _redirect_params(_authorize(qbo_sandbox, "POST", decision="cancel"))
    assert params == {"error": "access_denied", "state": "xyz"}


def test_code_exchange_answers_like_intuit_and_the_token_works(qbo_sandbox):
    """The authorization_code grant answers Intuit's JSON, and the access token calls the API."""
    tokens = _connect(qbo_sandbox)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] > 0
    response = qbo_sandbox.api("GET", "preferences", token=tokens["access_token"])
    assert response.status_code == 200


def test_a_code_works_only_once(qbo_sandbox):
    """Replaying an authorization code gets invalid_grant."""
    code = _redirect_params(_authorize(qbo_sandbox, "POST", decision="connect"))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert _token(qbo_sandbox, **form).status_code == 200
    replay = _token(qbo_sandbox, **form)
    assert (replay.status_code, replay.json()) == (400, {"error": "invalid_grant"})


def test_a_wrong_client_secret_is_invalid_client(qbo_sandbox):
    """Other client credentials get 401 invalid_client."""
    response = _token(qbo_sandbox, auth=(qbo_sandbox.client_id, "nope"), grant_type="x")
    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})


def test_with_rotation_on_every_refresh_the_old_refresh_token_is_refused(qbo_sandbox):
    """refresh_token_rotation 0 (for the product's race tests): every refresh returns a new
    refresh token, and the old one then gets invalid_grant."""
    qbo_sandbox.configure(refresh_token_rotation=0)
    old = _connect(qbo_sandbox)["refresh_token"]
    fresh = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=old)
    assert fresh.status_code == 200
    assert fresh.json()["refresh_token"] != old
    again = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=old)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    newest = fresh.json()["refresh_token"]
    assert _token(qbo_sandbox, grant_type="refresh_token", refresh_token=newest).ok


def _refresh(sandbox, token: str, **headers) -> dict:
    response = sandbox.http.post(
        sandbox.url("/oauth2/v1/tokens/bearer"),
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(sandbox.client_id, sandbox.client_secret),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_within_a_day_a_refresh_hands_back_the_same_refresh_token_its_expiry_running_on(
    qbo_sandbox,
):
    """Intuit by default: a new access token, the same refresh token, whose 101 days are not
    restarted (intuit/oauth-jsclient#74: 8721385 seconds left after a refresh)."""
    tokens = _connect(qbo_sandbox)
    qbo_sandbox.advance_clock(3600)
    again = _refresh(qbo_sandbox, tokens["refresh_token"])
    assert again["refresh_token"] == tokens["refresh_token"]
    assert again["access_token"] != tokens["access_token"]
    assert 8726400 - 3600 - SLACK <= again["x_refresh_token_expires_in"] <= 8726400 - 3600
    assert _refresh(qbo_sandbox, tokens["refresh_token"])["refresh_token"] == again["refresh_token"]


def test_after_a_day_a_refresh_hands_out_a_new_refresh_token_and_the_old_one_dies(qbo_sandbox):
    tokens = _connect(qbo_sandbox)
    qbo_sandbox.advance_clock(86400)
    fresh = _refresh(qbo_sandbox, tokens["refresh_token"])
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["x_refresh_token_expires_in"] == 8726400
    old = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (old.status_code, old.json()) == (400, {"error": "invalid_grant"})


def test_the_rotation_period_is_set_at_run_time(qbo_sandbox):
    """POST /_sandbox/config {"refresh_token_rotation": seconds}, as --refresh-token-rotation."""
    qbo_sandbox.configure(refresh_token_rotation=600)
    first = _connect(qbo_sandbox)["refresh_token"]
    qbo_sandbox.advance_clock(599)
    assert _refresh(qbo_sandbox, first)["refresh_token"] == first
    qbo_sandbox.advance_clock(1)
    assert _refresh(qbo_sandbox, first)["refresh_token"] != first


def test_a_refresh_token_unused_for_101_days_is_invalid_grant(qbo_sandbox):
    tokens = _connect(qbo_sandbox)
    qbo_sandbox.advance_clock(8726400 + 1)
    late = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})


def test_the_hard_expiry_is_told_only_when_asked_and_ends_the_consent_after_five_years(
    qbo_sandbox,
):
    """x-include-refresh-token-hard-expires-in: true (Intuit's PHP SDK) brings
    x_refresh_token_hard_expires_in; however often it is refreshed, five years end it."""
    code = _redirect_params(_authorize(qbo_sandbox, "POST", decision="connect"))["code"]
    asked = qbo_sandbox.http.post(
        qbo_sandbox.url("/oauth2/v1/tokens/bearer"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(qbo_sandbox.client_id, qbo_sandbox.client_secret),
        headers={"x-include-refresh-token-hard-expires-in": "true"},
    ).json()
    assert asked["x_refresh_token_hard_expires_in"] == 157680000
    token = asked["refresh_token"]
    assert "x_refresh_token_hard_expires_in" not in _refresh(qbo_sandbox, token)
    for _ in range(18):  # every 100 days: 1800 days, 25 short of five years
        qbo_sandbox.advance_clock(100 * 86400)
        token = _refresh(qbo_sandbox, token)["refresh_token"]
    last = _refresh(qbo_sandbox, token, **{"x-include-refresh-token-hard-expires-in": "true"})
    left = 25 * 86400  # less the real seconds the test took, on the sandbox's running clock
    assert left - SLACK <= last["x_refresh_token_hard_expires_in"] <= left
    assert last["x_refresh_token_expires_in"] == last["x_refresh_token_hard_expires_in"]
    qbo_sandbox.advance_clock(25 * 86400 + 1)
    ended = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=token)
    assert (ended.status_code, ended.json()) == (400, {"error": "invalid_grant"})


def test_revoke_kills_the_refresh_token_and_its_access_tokens(qbo_sandbox):
    """After a revoke, the refresh token is invalid_grant and the access token gets 401."""
    tokens = _connect(qbo_sandbox)
    auth = (qbo_sandbox.client_id, qbo_sandbox.client_secret)
    revoke_url = qbo_sandbox.url("/v2/oauth2/tokens/revoke")
    response = qbo_sandbox.http.post(revoke_url, json={"token": tokens["refresh_token"]}, auth=auth)
    assert response.status_code == 200
    refresh = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.json() == {"error": "invalid_grant"}
    assert qbo_sandbox.api("GET", "item/1", token=tokens["access_token"]).status_code == 401


def test_an_expired_access_token_gets_the_lowercase_401(qbo_sandbox):
    """Past its lifetime, a token gets 401 with QBO's lowercase-key fault body."""
    qbo_sandbox.configure(access_token_ttl=60)
    token = qbo_sandbox.token()
    assert qbo_sandbox.api("GET", "item/1").status_code == 200
    qbo_sandbox.advance_clock(61)
    response = qbo_sandbox.api("GET", "item/1", token=token)
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    error = response.json()["fault"]["error"][0]
    assert error["code"] == "3200"
    assert error["detail"].startswith("Token expired")


def test_control_plane_expires_and_revokes_tokens(qbo_sandbox):
    """Tests can expire every access token, or revoke a company's tokens outright."""
    token = qbo_sandbox.token()
    qbo_sandbox.expire_tokens()
    assert qbo_sandbox.api("GET", "item/1", token=token).status_code == 401
    tokens = qbo_sandbox.control("token")
    qbo_sandbox.revoke_tokens()
    refresh = _token(qbo_sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.json() == {"error": "invalid_grant"}


def test_no_token_is_401_and_another_company_is_403(qbo_sandbox):
    """No bearer token gets 401; a token for another realm gets the gateway's 403, 3100."""
    bare = qbo_sandbox.http.get(qbo_sandbox.api_url() + "/item/1")
    assert bare.status_code == 401
    assert bare.json()["fault"]["type"] == "AUTHENTICATION"
    qbo_sandbox.control("seed", realm_id="123145", company_name="Other Co (Sandbox)")
    other = qbo_sandbox.api("GET", "item/1", token=qbo_sandbox.token("123145"))
    assert other.status_code == 403
    fault = other.json()["fault"]  # the gateway's lowercase shape (intuit/oauth-jsclient#2)
    assert (fault["type"], fault["error"][0]["code"]) == ("SERVICE", "3100")
    assert fault["error"][0]["message"] == (
        "message=AuthorizationFailed; errorCode=003100; statusCode=403"
    )


# ---- discovery ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid_sandbox_configuration",
        "/.well-known/openid_sandbox_configuration/",
        "/.well-known/openid_configuration",
    ],
)
def test_the_discovery_document_lists_the_oauth_endpoints_the_sandbox_serves(qbo_sandbox, path):
    """Intuit's discovery paths (its SDKs ask with and without the slash); only what the
    sandbox serves is listed: no userinfo or jwks_uri, since it issues no ID token."""
    response = qbo_sandbox.http.get(qbo_sandbox.url(path))

    assert response.status_code == 200
    assert response.json() == {
        "issuer": qbo_sandbox.base_url,
        "authorization_endpoint": qbo_sandbox.url("/connect/oauth2"),
        "token_endpoint": qbo_sandbox.url("/oauth2/v1/tokens/bearer"),
        "revocation_endpoint": qbo_sandbox.url("/v2/oauth2/tokens/revoke"),
        "response_types_supported": ["code"],
        "scopes_supported": [SCOPE],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }


def test_a_client_that_reads_only_the_discovery_document_connects_and_revokes(qbo_sandbox):
    http, client = qbo_sandbox.http, (qbo_sandbox.client_id, qbo_sandbox.client_secret)
    found = http.get(qbo_sandbox.url("/.well-known/openid_sandbox_configuration")).json()
    params = {"client_id": qbo_sandbox.client_id, "response_type": "code", "scope": SCOPE,
              "redirect_uri": REDIRECT, "state": "xyz", "decision": "connect"}  # fmt: skip

    consent = http.post(found["authorization_endpoint"], data=params, allow_redirects=False)
    code = _redirect_params(consent)["code"]
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    tokens = http.post(found["token_endpoint"], data=grant, auth=client).json()
    revoked = http.post(found["revocation_endpoint"], json={"token": tokens["refresh_token"]},
                        auth=client)  # fmt: skip
    again = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    assert revoked.status_code == 200
    assert http.post(found["token_endpoint"], data=again, auth=client).json() == {
        "error": "invalid_grant"
    }
