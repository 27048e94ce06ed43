"""OAuth 2.0 state of the sandbox: authorization codes, rotating refresh tokens, access tokens.

The timing is Intuit's (README, "Token timing"): a refresh token's value is handed back again
on refresh until it is a day old, then a new one replaces it; it dies after 101 days unused,
and every token of a consent dies five years after it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

CODE_TTL = 600
DEFAULT_ACCESS_TTL = 3600
DEFAULT_REFRESH_TTL = 8726400  # 101 days, as Intuit reports it
DEFAULT_REFRESH_ROTATION = 86400  # a refresh token's value is kept for a day (0: every refresh)
HARD_TTL = 157680000  # five years of 365 days from the consent, however often it is refreshed
# The request header that asks for x_refresh_token_hard_expires_in in the answer.
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"


class OAuthError(Exception):
    """An OAuth error answer: `error` is the RFC 6749 code, `status` the HTTP status."""

    def __init__(self, error: str, status: int = 400):
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass
class Grant:
    """What a token stands for: a company and an expiry (epoch seconds), within its consent."""

    realm_id: str
    expires: float
    grant: str
    redirect_uri: str = ""
    issued: float = 0.0  # when this token's value was handed out first
    hard_expires: float = float("inf")  # the consent's five-year end


@dataclass(frozen=True)
class TokenTiming:
    """How long tokens last and how often a refresh token changes (Config, per request)."""

    access_ttl: int = DEFAULT_ACCESS_TTL
    refresh_ttl: int = DEFAULT_REFRESH_TTL
    rotation: int = DEFAULT_REFRESH_ROTATION
    hard_expiry: bool = False  # the client sent HARD_EXPIRY_HEADER: true


class OAuthState:
    """Tokens issued by the sandbox; every method is called under the backend's lock."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}

    def issue_code(self, realm_id: str, redirect_uri: str) -> str:
        """A single-use authorization code for the consent page's redirect."""
        code = "AB11" + secrets.token_urlsafe(24)
        self.codes[code] = Grant(realm_id, self.clock() + CODE_TTL, "", redirect_uri)
        return code

    def exchange_code(self, code: str, redirect_uri: str, timing: TokenTiming) -> dict:
        """The authorization_code grant: a code works once, for its own redirect_uri."""
        grant = self.codes.pop(code, None)
        if grant is None or grant.expires < self.clock() or grant.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant")
        return self.mint(grant.realm_id, timing)

    def refresh(self, token: str, timing: TokenTiming) -> dict:
        """The refresh_token grant: a new access token, and the same refresh token until it is
        `timing.rotation` seconds old; after that a new one, and the old one stops working."""
        grant = self.refresh_tokens.get(token)
        now = self.clock()
        if grant is None or grant.expires < now or grant.hard_expires < now:
            raise OAuthError("invalid_grant")
        if now - grant.issued < timing.rotation:
            return self._answer(token, grant, self._access(grant, timing), timing)
        del self.refresh_tokens[token]
        return self._issue(grant, timing)

    def mint(self, realm_id: str, timing: TokenTiming) -> dict:
        """A fresh consent and its token pair (the code exchange; the control plane's token)."""
        consent = Grant(realm_id, 0, secrets.token_hex(8), hard_expires=self.clock() + HARD_TTL)
        return self._issue(consent, timing)

    def _issue(self, consent: Grant, timing: TokenTiming) -> dict:
        now = self.clock()
        refresh = "RT1-" + secrets.token_urlsafe(24)
        expires = min(now + timing.refresh_ttl, consent.hard_expires)
        self.refresh_tokens[refresh] = grant = Grant(
            consent.realm_id, expires, consent.grant, issued=now, hard_expires=consent.hard_expires
        )
        return self._answer(refresh, grant, self._access(grant, timing), timing)

    def _access(self, grant: Grant, timing: TokenTiming) -> str:
        access = "eyJsYW5kYm94IjoxfQ." + secrets.token_urlsafe(32)
        self.access_tokens[access] = Grant(grant.realm_id, self.clock() + timing.access_ttl,
                                           grant.grant)  # fmt: skip
        return access

    def _answer(self, refresh: str, grant: Grant, access: str, timing: TokenTiming) -> dict:
        """Intuit's token answer; a refresh token handed back again keeps its own expiry."""
        now = self.clock()
        answer = {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": timing.access_ttl,
            "x_refresh_token_expires_in": round(grant.expires - now),
        }
        if timing.hard_expiry:
            answer["x_refresh_token_hard_expires_in"] = round(grant.hard_expires - now)
        return answer

    def revoke(self, token: str) -> None:
        """Revoke a refresh or access token, and with it every token of the same grant."""
        grant = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if grant is not None:
            self._drop(lambda g: g.grant == grant.grant)

    def revoke_realm(self, realm_id: str) -> None:
        """Revoke every token of a company, as when the user disconnects the app in QBO."""
        self._drop(lambda g: g.realm_id == realm_id)

    def expire_access(self, realm_id: str | None = None) -> int:
        """Make access tokens expire now; returns how many."""
        count = 0
        for grant in self.access_tokens.values():
            if realm_id is None or grant.realm_id == realm_id:
                grant.expires = self.clock() - 1
                count += 1
        return count

    def _drop(self, match: Callable[[Grant], bool]) -> None:
        for store in (self.refresh_tokens, self.access_tokens):
            for key in [k for k, g in store.items() if match(g)]:
                del store[key]

    def connected(self, realm_id: str) -> bool:
        """Whether a refresh token of the company is still good: an app is connected."""
        now = self.clock()
        grants = self.refresh_tokens.values()
        return any(grant.realm_id == realm_id and grant.expires >= now for grant in grants)

    def check_access(self, token: str) -> tuple[str | None, str]:
        """The realm of a valid access token, else None and why (for the 401 detail)."""
        grant = self.access_tokens.get(token)
        if grant is None:
            return None, f"Token invalid: {token[:50]}"
        if grant.expires < self.clock():
            return None, f"Token expired: {token[:50]}"
        return grant.realm_id, ""

    def dump(self) -> dict:
        """JSON-ready state, for --state-file."""
        return {
            name: {k: vars(g) for k, g in store.items()}
            for name, store in (
                ("codes", self.codes),
                ("refresh_tokens", self.refresh_tokens),
                ("access_tokens", self.access_tokens),
            )
        }

    def load(self, data: dict) -> None:
        """Restore what `dump` wrote."""
        for name in ("codes", "refresh_tokens", "access_tokens"):
            setattr(self, name, {k: Grant(**g) for k, g in data.get(name, {}).items()})


def client_matches(client_id: str, secret: str, want_id: str, want_secret: str) -> bool:
    """Constant-time comparison of client credentials."""
    return hmac.compare_digest(client_id.encode(), want_id.encode()) and hmac.compare_digest(
        secret.encode(), want_secret.encode()
    )
