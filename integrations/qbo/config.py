"""Configuration of the QBO transport, handed in by the caller (no Django settings here)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost"}
URL_FIELDS = ("authorize_url", "token_url", "revoke_url", "api_base_url")


def is_loopback_http(url: str) -> bool:
    """True when `url` is plain http to this machine (the local sandbox, a test server)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class QboConfig:
    """The app credentials, endpoints and transport tuning of one QBO environment."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    authorize_url: str
    token_url: str
    revoke_url: str
    api_base_url: str
    minor_version: int = 75
    timeout: float = 30.0  # seconds one read of the socket may wait
    deadline: float = 60.0  # seconds a whole call may take, retries included
    max_response_bytes: int = 32 * 1024 * 1024
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    # Longer statements go as a POST body so the URL stays well under proxy limits.
    query_get_max_chars: int = 4000

    def __post_init__(self) -> None:
        # Tokens and client secrets travel on these URLs: plain http is only acceptable when
        # it never leaves the machine.
        for name in URL_FIELDS:
            url = getattr(self, name)
            if not (url.startswith("https://") or is_loopback_http(url)):
                raise ValueError(f"QboConfig.{name} must be https (or http to loopback): {url!r}")

    @property
    def uses_loopback_http(self) -> bool:
        """True when any endpoint is plain http to loopback (the local sandbox)."""
        return any(is_loopback_http(getattr(self, name)) for name in URL_FIELDS)
