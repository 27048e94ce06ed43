"""pytest fixtures: one sandbox server per session, reset to the sample company for every test.

def test_push(qbo_sandbox):
    qbo_sandbox.api("POST", "item", json={...})
    assert qbo_sandbox.state()["realms"][qbo_sandbox.realm_id]["objects"]["Item"] == 20
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
import requests

from integrations.sandbox.backend import (
    DEFAULT_COMPANY_NAME,
    DEFAULT_REALM_ID,
    Backend,
    Company,
    Config,
)
from integrations.sandbox.server import SandboxServer, start_in_thread
from integrations.sandbox.webhooks import Settings as WebhookSettings
from integrations.sandbox.wsgi import (
    AUTHORIZE_PATH,
    DISCOVERY_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    SandboxApp,
)

MINOR_VERSION = "75"


class Sandbox:
    """A handle on the running sandbox: URLs, credentials, the backend, and HTTP helpers."""

    def __init__(self, server: SandboxServer, backend: Backend):
        self.server = server
        self.backend = backend
        self.base_url = server.url
        self.realm_id = DEFAULT_REALM_ID
        self.company_name = DEFAULT_COMPANY_NAME
        self.http = requests.Session()
        self._tokens: dict[str, str] = {}

    @property
    def client_id(self) -> str:
        """The OAuth client id the sandbox accepts."""
        return self.backend.config.client_id

    @property
    def client_secret(self) -> str:
        """The OAuth client secret the sandbox accepts."""
        return self.backend.config.client_secret

    @property
    def company(self) -> Company:
        """The default company's state, for direct inspection."""
        return self.backend.companies[self.realm_id]

    def url(self, path: str) -> str:
        """An absolute URL on the sandbox."""
        return self.base_url + path

    def api_url(self, realm_id: str | None = None) -> str:
        """The API base of a company: .../v3/company/{realmId}."""
        return self.url(f"/v3/company/{realm_id or self.realm_id}")

    def control(self, name: str, **body) -> dict:
        """POST to a /_sandbox/ endpoint and return its JSON answer."""
        response = self.http.post(self.url(f"/_sandbox/{name}"), json=body)
        response.raise_for_status()
        return response.json()

    def reset(self, **body) -> dict:
        """Back to the sample company (or `seed="empty"`, `items=N`)."""
        self._tokens.clear()
        return self.control("reset", **body)

    def token(self, realm_id: str | None = None) -> str:
        """A valid access token for a company (minted once per test, without OAuth)."""
        realm_id = realm_id or self.realm_id
        if realm_id not in self._tokens:
            self._tokens[realm_id] = self.control("token", realm_id=realm_id)["access_token"]
        return self._tokens[realm_id]

    def api(self, method: str, path: str, *, realm_id: str | None = None, token=None, **kwargs):
        """Call the v3 API (`path` is relative to the company, e.g. "item/1" or "query")."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        headers["Authorization"] = f"Bearer {token or self.token(realm_id)}"
        params = {"minorversion": MINOR_VERSION, **kwargs.pop("params", {})}
        url = f"{self.api_url(realm_id)}/{path.lstrip('/')}"
        return self.http.request(method, url, headers=headers, params=params, **kwargs)

    def query(self, text: str, realm_id: str | None = None) -> dict:
        """Run a query and return its QueryResponse."""
        response = self.api("GET", "query", params={"query": text}, realm_id=realm_id)
        response.raise_for_status()
        return response.json()["QueryResponse"]

    def fail_next(self, **rule) -> dict:
        """Inject a failure into the next matching API request (see control.py for fields)."""
        return self.control("fail-next", **rule)

    def state(self) -> dict:
        """Counts per entity per realm, the request log, the rules and the config."""
        response = self.http.get(self.url("/_sandbox/state"))
        response.raise_for_status()
        return response.json()

    def api_requests(self, **match) -> list[dict]:
        """Logged requests whose fields equal `match` (e.g. method="POST", entity="Item")."""
        return [
            entry
            for entry in self.state()["requests"]
            if all(entry.get(key) == value for key, value in match.items())
        ]

    def configure(self, **settings) -> dict:
        """Change settings at run time (limits, latency_ms, access_token_ttl, ...)."""
        return self.control("config", **settings)

    def deposit(self, payment_id: str, realm_id: str | None = None) -> dict:
        """Mark a payment deposited: QBO then refuses to change it (6540)."""
        return self.control("deposit", payment_id=payment_id, realm_id=realm_id or self.realm_id)

    def expire_tokens(self) -> dict:
        """Make every access token expire now."""
        return self.control("tokens/expire")

    def revoke_tokens(self, realm_id: str | None = None) -> dict:
        """Revoke every token of a company, as disconnecting the app in QBO does."""
        return self.control("tokens/revoke", realm_id=realm_id or self.realm_id)

    def webhooks(self, **settings) -> dict:
        """Subscribe to webhooks (url, verifier_token, format, window_s, retry_scale,
        timeout_s), unsubscribe (url=None) or drop deliveries (drop=True or a count)."""
        return self.control("webhooks", **settings)

    def advance_clock(self, seconds: float) -> dict:
        """Move the sandbox's clock forward (token expiry, the CDC window)."""
        return self.control("clock", advance_seconds=seconds)


@pytest.fixture(scope="session")
def qbo_sandbox_server():
    """The session's sandbox server, on a free loopback port, in a thread."""
    backend = Backend(Config(limits=False))
    backend.reset()
    server = start_in_thread(SandboxApp(backend))
    yield Sandbox(server, backend)
    server.shutdown()
    server.server_close()


@pytest.fixture
def qbo_sandbox(qbo_sandbox_server: Sandbox, request) -> Sandbox:
    """The sandbox, reset to the sample company, with Django settings pointing at it."""
    sandbox = qbo_sandbox_server
    sandbox.backend.config = Config(limits=False)
    sandbox.backend.webhooks.configure(**asdict(WebhookSettings()))
    sandbox.reset()
    try:
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        return sandbox
    settings.QBO_ENVIRONMENT = "local"
    settings.QBO_SANDBOX_URL = sandbox.base_url
    settings.QBO_API_BASE_URL = sandbox.base_url
    settings.QBO_AUTHORIZE_URL = sandbox.url(AUTHORIZE_PATH)
    settings.QBO_TOKEN_URL = sandbox.url(TOKEN_PATH)
    settings.QBO_REVOKE_URL = sandbox.url(REVOKE_PATH)
    settings.QBO_DISCOVERY_URL = sandbox.url(DISCOVERY_PATH)
    settings.QBO_APP_BASE_URL = sandbox.url("/app")
    settings.QBO_CLIENT_ID = sandbox.client_id
    settings.QBO_CLIENT_SECRET = sandbox.client_secret
    return sandbox
