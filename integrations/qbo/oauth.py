"""Intuit OAuth 2.0: the authorize URL, code exchange, refresh and revoke."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from .config import QboConfig, is_loopback_http
from .errors import (
    OAuthError,
    OAuthInvalidGrantError,
    QboMalformedResponseError,
    QboTransportError,
    clip,
    describe_body,
    header,
    redact,
    secret_remember,
)
from .transport import BoundedAdapter, Deadline, ResponseTooLarge

SCOPE = "com.intuit.quickbooks.accounting"
# Where Intuit's discovery document lists each endpoint of QboConfig (Intuit's "Authorization
# discovery documents" page; its Java SDK's DiscoveryAPIResponse, its Python client's
# get_discovery_doc).
DISCOVERY_KEYS = {
    "authorize_url": "authorization_endpoint",
    "token_url": "token_endpoint",
    "revoke_url": "revocation_endpoint",
}
# Intuit's discovery documents are about 1 KB; anything near this is not one.
DISCOVERY_MAX_BYTES = 64 * 1024
# Lifetimes past this are not Intuit's (a refresh token lives at most 5 years).
_MAX_LIFETIME_SECONDS = 10 * 366 * 24 * 3600
_ERROR_CHARS = 100

logger = logging.getLogger("integrations.qbo")


class _NoDebugRecords(logging.Filter):
    """Drops DEBUG records: requests-oauthlib logs whole tokens and headers at that level."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_oauth_session_logger = logging.getLogger("requests_oauthlib.oauth2_session")
if not any(isinstance(f, _NoDebugRecords) for f in _oauth_session_logger.filters):
    _oauth_session_logger.addFilter(_NoDebugRecords())


@dataclass(frozen=True)
class TokenSet:
    """The tokens Intuit issued, with their lifetimes in seconds."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    refresh_token_expires_in: int | None


def new_session(config: QboConfig, **kwargs: Any) -> OAuth2Session:
    """An OAuth2Session for `config`; kwargs go to OAuth2Session (token, redirect_uri, …)."""
    if config.uses_loopback_http:
        # oauthlib refuses plain http unless this switch is on. QboConfig only admits http to
        # loopback (the bundled sandbox, test servers), so it never opens a path off the machine.
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    secret_remember(config.client_secret)
    session = OAuth2Session(config.client_id, **kwargs)
    adapter = BoundedAdapter(max_bytes=config.max_response_bytes)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def authorization_url(config: QboConfig, state: str) -> str:
    """The URL that sends the user to Intuit's consent page."""
    session = new_session(config, redirect_uri=config.redirect_uri, scope=[SCOPE], state=state)
    url, _ = session.authorization_url(config.authorize_url)
    return url


def exchange_code(config: QboConfig, code: str) -> TokenSet:
    """Trade the authorization code from the callback for tokens."""
    secret_remember(code)
    session = new_session(config, redirect_uri=config.redirect_uri)
    return _token_call(
        "exchange_code",
        session,
        lambda: session.fetch_token(
            config.token_url,
            code=code,
            auth=_basic_auth(config),
            include_client_id=False,
            timeout=Deadline.for_call(config),
            headers={"Accept": "application/json"},
        ),
    )


def refresh_tokens(config: QboConfig, refresh_token: str) -> TokenSet:
    """Get a new access token; store the returned refresh token, it may have rolled."""
    secret_remember(refresh_token)
    session = new_session(config)
    return _token_call(
        "refresh",
        session,
        lambda: session.refresh_token(
            config.token_url,
            refresh_token=refresh_token,
            auth=_basic_auth(config),
            timeout=Deadline.for_call(config),
            headers={"Accept": "application/json"},
        ),
    )


def revoke_token(config: QboConfig, token: str) -> None:
    """Revoke a refresh (or access) token at Intuit, which ends the connection."""
    secret_remember(token)
    session = new_session(config)
    started = time.monotonic()
    response = None
    try:
        response = session.post(
            config.revoke_url,
            json={"token": token},
            auth=_basic_auth(config),
            headers={"Accept": "application/json"},
            timeout=Deadline.for_call(config),
        )
    except requests.RequestException as exc:
        raise _transport_error(exc) from exc
    finally:
        _log_call("revoke", response, started)
    if response.status_code >= 400:
        raise _error_from_response(response)


def discovered_endpoints(url: str, *, timeout: float) -> dict[str, str]:
    """The OAuth endpoints Intuit's discovery document at `url` lists, by QboConfig field.

    Read only by `manage.py qbo_discovery_check`: the product's URLs are settings (README).
    """
    if not (url.startswith("https://") or is_loopback_http(url)):
        raise ValueError(f"A discovery document is read over https (or http to loopback): {url}")
    session = requests.Session()
    session.mount("https://", BoundedAdapter(max_bytes=DISCOVERY_MAX_BYTES))
    session.mount("http://", BoundedAdapter(max_bytes=DISCOVERY_MAX_BYTES))
    try:
        response = session.get(
            url,
            headers={"Accept": "application/json"},
            timeout=Deadline.after(timeout, read_timeout=timeout),
        )
    except requests.RequestException as exc:  # ResponseTooLarge and DeadlineExceeded included
        raise QboTransportError(f"No answer from {url}: {type(exc).__name__}") from None
    try:
        document = response.json() if response.ok else {}
    except (ValueError, RecursionError):
        document = {}
    if not isinstance(document, dict):
        document = {}
    listed = {field: document.get(key) for field, key in DISCOVERY_KEYS.items()}
    missing = [DISCOVERY_KEYS[field] for field, value in listed.items() if not _is_url(value)]
    if missing:
        raise QboMalformedResponseError(
            f"{url} (HTTP {response.status_code}) is not a discovery document: it lists no "
            f"{', '.join(missing)}",
            status=response.status_code,
        )
    return listed


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _basic_auth(config: QboConfig) -> HTTPBasicAuth:
    return HTTPBasicAuth(config.client_id, config.client_secret)


def _token_call(label: str, session: OAuth2Session, call: Callable[[], dict[str, Any]]) -> TokenSet:
    """Run a token-endpoint call, turning every failure into an OAuthError."""
    responses: list[requests.Response] = []

    def check_response(response: requests.Response) -> requests.Response:
        responses.append(response)
        # oauthlib would try to read an HTML 502 as a token; stop here with a typed error.
        if response.status_code >= 400:
            raise _error_from_response(response)
        # oauthlib trusts the shape of a 2xx answer (a list or a scope of 5 crashes it).
        token_answer_check(response.content, headers=response.headers)
        return response

    session.register_compliance_hook("access_token_response", check_response)
    session.register_compliance_hook("refresh_token_response", check_response)
    started = time.monotonic()
    try:
        token = call()
    except requests.RequestException as exc:
        raise _transport_error(exc) from exc
    except OAuth2Error as exc:
        cls = OAuthInvalidGrantError if isinstance(exc, InvalidGrantError) else OAuthError
        error = clip(str(exc.error), _ERROR_CHARS)
        raise cls(
            f"Intuit refused the token request: {error}",
            error=error,
            description=redact(str(exc.description or "")),
        ) from None
    finally:
        _log_call(label, responses[-1] if responses else None, started)
    secret_remember(token.get("access_token"))
    secret_remember(token.get("refresh_token"))
    if not token.get("refresh_token"):
        raise OAuthError("Intuit's token answer has no refresh_token", error="missing_token")
    expiry = token.get("x_refresh_token_expires_in")
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        expires_in=_seconds(token.get("expires_in", 0)) or 0,
        refresh_token_expires_in=_seconds(expiry) if expiry is not None else None,
    )


def token_answer_check(body: bytes | str, *, headers=None) -> dict:
    """The token object of a 2xx token-endpoint answer; OAuthError unless it is one.

    An `error` member (Intuit has answered `invalid_grant` with a 200) raises the same error
    as the 400 would. A body that is cut off or not JSON is retriable: nothing was read.
    """
    tid = header(headers, "intuit_tid")
    try:
        token = json.loads(body)
    except (ValueError, RecursionError):
        raise OAuthError(
            f"Intuit's token answer could not be read: {describe_body(200, body, None)}",
            error="malformed_response",
            retriable=True,
            intuit_tid=tid,
        ) from None
    if not isinstance(token, dict):
        raise OAuthError(
            "Intuit's token answer is not a JSON object", error="malformed_response", intuit_tid=tid
        )
    if "error" in token:
        raise _oauth_error(token, status=None, intuit_tid=tid)
    problem = _token_problem(token)
    if problem:
        error = "missing_token" if problem.startswith("no ") else "malformed_response"
        raise OAuthError(f"Intuit's token answer has {problem}", error=error, intuit_tid=tid)
    return token


def _token_problem(token: dict) -> str | None:
    """What is wrong with a token object, or None."""
    for name in ("access_token", "refresh_token"):
        value = token.get(name)
        if name == "access_token" and not value:
            return f"no {name}"
        if value is not None and not (isinstance(value, str) and value.strip()):
            return f"an unusable {name}"
    if "token_type" in token and not isinstance(token["token_type"], str):
        return "a token_type that is not text"
    scope = token.get("scope")
    scopes = scope if isinstance(scope, list) else [scope]
    if scope is not None and not all(isinstance(item, str) for item in scopes):
        return "a scope that is not text"
    for name in ("expires_in", "x_refresh_token_expires_in"):
        if name in token and _seconds(token[name]) is None:
            return f"a {name} that is not a number of seconds: {clip(repr(token[name]), 40)}"
    return None


def _seconds(value: object) -> int | None:
    """A lifetime in seconds from a JSON number or numeric string, or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip()) if len(value) < 20 else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= _MAX_LIFETIME_SECONDS:
        return value
    return None


def _error_from_response(response: requests.Response) -> OAuthError:
    """An OAuthError from a 4xx/5xx token-endpoint answer (JSON `error` or not)."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    return _oauth_error(body, status=status, intuit_tid=header(response.headers, "intuit_tid"))


def _oauth_error(body: dict, *, status: int | None, intuit_tid: str | None) -> OAuthError:
    error = body.get("error")
    error = clip(error.strip(), _ERROR_CHARS) if isinstance(error, str) and error.strip() else ""
    error = error or (f"http_{status}" if status else "unknown_error")
    cls = OAuthInvalidGrantError if error == "invalid_grant" else OAuthError
    return cls(
        f"Intuit refused the token request: {error}",
        error=error,
        description=redact(str(body.get("error_description") or "")),
        status=status,
        intuit_tid=intuit_tid,
        retriable=status is not None and (status >= 500 or status == 429),
    )


def _transport_error(exc: requests.RequestException) -> OAuthError:
    if isinstance(exc, ResponseTooLarge):
        return OAuthError(
            f"Intuit's OAuth endpoint sent an answer too large to be a token ({exc}); "
            "it was not read. Try again later.",
            error="response_too_large",
        )
    return OAuthError(
        f"Could not reach Intuit's OAuth endpoint: {type(exc).__name__}: {exc}",
        error="transport_error",
        retriable=True,
    )


def _log_call(label: str, response: requests.Response | None, started: float) -> None:
    logger.info(
        "qbo oauth %s status=%s duration_ms=%d intuit_tid=%s",
        label,
        response.status_code if response is not None else "no-response",
        (time.monotonic() - started) * 1000,
        header(response.headers, "intuit_tid") if response is not None else None,
    )
