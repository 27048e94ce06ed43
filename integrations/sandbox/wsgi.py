"""The thin WSGI layer: routing, authentication, limits, status codes and JSON/XML bodies."""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode
from wsgiref.util import application_uri

from integrations.sandbox import control, faults, random_faults, ui
from integrations.sandbox.auth import HARD_EXPIRY_HEADER, OAuthError, client_matches
from integrations.sandbox.backend import Backend
from integrations.sandbox.entities import BY_PATH, QUERYABLE

logger = logging.getLogger(__name__)

API_PREFIX = "/v3/company/"
AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # noqa: S105 - a URL path, not a secret
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
# The paths of Intuit's discovery documents for its sandbox and production environments;
# Intuit's SDKs ask with and without a trailing slash (README, "Queries, CDC and discovery").
DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration"
DISCOVERY_PATHS = {DISCOVERY_PATH, "/.well-known/openid_configuration"}
SCOPE = "com.intuit.quickbooks.accounting"
JSON_TYPE = "application/json;charset=utf-8"
GATEWAY_CODES = {"3200", "3100"}  # answered by Intuit's gateway, before QBO sees the request
DROP_KEY = "sandbox.drop"  # the server closes the socket unanswered when the app sets this
_FROM = re.compile(r"\bfrom\s+(\w+)", re.I)
_STATUS_TEXT = {
    200: "OK", 302: "Found", 303: "See Other", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}  # fmt: skip


@dataclass
class Response:
    """What the app answers; `drop` means: do the work, then close the socket unanswered."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False


@dataclass
class Request:
    """The parts of a WSGI request the sandbox looks at."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]
    query_string: str = ""
    root: str = ""  # scheme://host:port the request was sent to

    def json(self) -> object:
        """The body as JSON; a QBO-shaped 400 when it is not."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as error:
            raise faults.QboFault(
                "2010", "Request has invalid or unsupported property",
                f"Request body is not valid JSON: {error}",
            ) from None  # fmt: skip


def json_response(status: int, obj: object, headers: list | None = None) -> Response:
    """A JSON response."""
    return Response(status, json.dumps(obj).encode(), JSON_TYPE, headers or [])


class Limiter:
    """Per-realm request rate, batch rate and concurrency, as QBO throttles them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.recent: dict[str, deque] = defaultdict(deque)
        self.batches: dict[str, deque] = defaultdict(deque)
        self.in_flight: dict[str, int] = defaultdict(int)

    def enter(self, realm_id: str, now: float, batch: bool, config) -> bool:
        """Admit a request (and count it as in flight), or refuse it."""
        with self.lock:
            windows = [(self.recent[realm_id], config.rate_per_minute)]
            if batch:
                windows.append((self.batches[realm_id], config.batch_per_minute))
            for window, _ in windows:
                while window and window[0] <= now - 60:
                    window.popleft()
            if self.in_flight[realm_id] >= config.concurrent or any(
                len(window) >= limit for window, limit in windows
            ):
                return False
            for window, _ in windows:
                window.append(now)
            self.in_flight[realm_id] += 1
            return True

    def leave(self, realm_id: str) -> None:
        """A request admitted by `enter` is done."""
        with self.lock:
            self.in_flight[realm_id] -= 1

    def clear(self) -> None:
        """Forget every window (on reset)."""
        with self.lock:
            self.recent.clear()
            self.batches.clear()


def new_tid() -> str:
    """An intuit_tid like QBO's: 1-<hex time>-<random hex>."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


class SandboxApp:
    """The WSGI application serving OAuth, the v3 API and the /_sandbox control plane."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.limiter = Limiter()
        self.ui = ui.SandboxUI(backend)

    def __call__(self, environ, start_response):
        request = _request(environ)
        tid = new_tid()
        started = time.perf_counter()
        entry: dict = {}
        try:
            response = self.dispatch(request, entry)
        except Exception:
            logger.exception("QBO sandbox failed on %s %s", request.method, request.path)
            response = self.fault(faults.system_failure())
        if entry:
            entry.update(
                status=0 if response.drop else response.status,
                dropped=response.drop,
                intuit_tid=tid,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            self.backend.requests.append(entry)
        if response.drop:
            environ[DROP_KEY] = True
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("intuit_tid", tid),
            ("Intuit-Tid", tid),
            *response.headers,
        ]
        start_response(f"{response.status} {_STATUS_TEXT.get(response.status, 'Error')}", headers)
        return [response.body]

    def dispatch(self, request: Request, entry: dict) -> Response:
        """Route a request to the control plane, OAuth or the API."""
        path = request.path
        if path.startswith("/_sandbox/"):
            return control.handle(self, request)
        if path == ui.PREFIX or path.startswith(ui.PREFIX + "/"):
            return self.ui.handle(request)
        entry.update(
            method=request.method,
            path=path,
            query=request.query_string,
            requestid=request.query.get("requestid"),
            time=self.backend.time(),
        )
        if path == AUTHORIZE_PATH:
            return self.authorize(request)
        if path == TOKEN_PATH:
            return self.token(request)
        if path == REVOKE_PATH:
            return self.revoke(request)
        if path.rstrip("/") in DISCOVERY_PATHS:
            return self.discovery(request)
        if path.startswith(API_PREFIX):
            return self.api(request, entry)
        return json_response(404, {"error": "not_found", "path": path})

    # ---- responses ----

    def fault(self, fault: faults.QboFault) -> Response:
        """A fault as QBO renders it: the gateway's 401/403 lowercase, 429 XML, the rest
        `{"Fault": ...}` (a 120 is a 401 from QBO itself, so it takes that last shape)."""
        if fault.code in GATEWAY_CODES:
            body = faults.gateway_body(fault, int(self.backend.epoch() * 1000))
            headers = []
            if fault.status == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="Intuit", error="invalid_token"'))
            return json_response(fault.status, body, headers)
        if fault.status == 429:
            return Response(429, faults.throttle_xml(self.backend.time()), "application/xml")
        body: dict = {"Fault": fault.fault()}
        if fault.with_time:
            body["time"] = self.backend.time()
        return json_response(fault.status, body)

    def timed(self, obj: dict) -> Response:
        """A 200 with QBO's `time` stamp."""
        return json_response(200, {**obj, "time": self.backend.time()})

    # ---- the v3 API ----

    def api(self, request: Request, entry: dict) -> Response:
        """/v3/company/{realmId}/...: authenticate, throttle, inject failures, then serve."""
        realm_id, _, rest = request.path[len(API_PREFIX) :].partition("/")
        segments = [s for s in rest.split("/") if s]
        entity, operation = _classify(request, segments)
        asked = request.query.get("minorversion", "")
        served = max(75, int(asked)) if asked.isdigit() else 75  # QBO no longer serves < 75
        entry.update(realm_id=realm_id, entity=entity, operation=operation, minorversion=served)
        if operation == "batch":
            entry["items"] = _batch_items(request)
        rule = control.take_rule(self.backend, request, entity, operation)
        config = self.backend.config
        chance = None if rule else self.backend.random_faults.draw(config)
        if chance:
            entry["fault"] = chance
        if rule and rule.get("delay_ms"):
            time.sleep(rule["delay_ms"] / 1000)
        if chance == random_faults.TIMEOUT:
            time.sleep(config.fault_timeout_ms / 1000)  # then served: the write still happens
        elif chance == random_faults.TOKEN_EXPIRY:
            with self.backend.lock:
                self.backend.oauth.expire_access(realm_id)
        try:
            self.authenticate(request, realm_id)
            injected = control.rule_fault(rule) if rule else None
            if injected and injected.status != 400:
                # The gateway's 401/403/429 and QBO failing on its side (5xx) come before, or
                # instead of, an answer to the write: nothing is kept for its requestid.
                raise injected
            if chance == random_faults.THROTTLE:
                raise faults.QboFault("3001", "ThrottleExceeded", "", status=429)
            if chance == random_faults.SERVER_ERROR:
                raise faults.system_failure("Injected at random by the sandbox")
            limited = config.limits
            if limited and not self.limiter.enter(
                realm_id, self.backend.epoch(), operation == "batch", config
            ):
                raise faults.QboFault("3001", "ThrottleExceeded", "", status=429)
            try:
                if config.latency_ms:
                    time.sleep(config.latency_ms / 1000)
                response = self.serve_api(request, realm_id, segments, injected)
            finally:
                if limited:
                    self.limiter.leave(realm_id)
        except faults.QboFault as fault:
            return self.fault(fault)
        response.drop = bool(rule and rule.get("drop_after_commit"))
        response.drop |= chance == random_faults.DROP_AFTER_COMMIT
        return response

    def authenticate(self, request: Request, realm_id: str) -> None:
        """A valid, unexpired bearer token for this realm, or 401/403 as QBO answers them."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise faults.authentication_failed("Token invalid")
        with self.backend.lock:
            token_realm, why = self.backend.oauth.check_access(token.strip())
            known = self.backend.company(realm_id) is not None
        if token_realm is None:
            raise faults.authentication_failed(why)
        if token_realm != realm_id or not known:
            raise faults.authorization_failed()

    def serve_api(
        self,
        request: Request,
        realm_id: str,
        segments: list[str],
        injected: faults.QboFault | None = None,
    ) -> Response:
        """Serve an authenticated API call; an `injected` fault answers it instead."""
        backend = self.backend
        head = segments[0].lower() if segments else ""
        method = request.method
        is_write = method == "POST" and len(segments) == 1 and (head == "batch" or head in BY_PATH)
        if injected and not is_write:
            raise injected
        if head == "query" and len(segments) == 1 and method in {"GET", "POST"}:
            text = request.query.get("query") or (
                request.body.decode("utf-8", "replace") if method == "POST" else ""
            )
            return self.timed(backend.query(realm_id, text))
        if head == "cdc" and len(segments) == 1 and method == "GET":
            return self.timed(
                backend.cdc(
                    realm_id,
                    request.query.get("entities", ""),
                    request.query.get("changedSince", ""),
                )
            )
        if head == "batch" and is_write:
            return self.write(
                request,
                realm_id,
                lambda: backend.batch(realm_id, request.json(), request.query.get("requestid")),
                injected,
            )
        if head == "preferences" and len(segments) == 1 and method == "GET":
            return self.timed(backend.single(realm_id, "Preferences"))
        if head in BY_PATH and len(segments) == 2 and method == "GET":
            return self.timed(backend.read(realm_id, head, segments[1]))
        if head in BY_PATH and is_write:
            operation = request.query.get("operation")
            include = request.query.get("include", "")
            return self.write(
                request,
                realm_id,
                lambda: backend.write(realm_id, head, request.json(), operation, include),
                injected,
            )
        raise faults.unsupported(request.path)

    def write(
        self, request: Request, realm_id: str, action, injected: faults.QboFault | None = None
    ) -> Response:
        """Run a write once per requestid: a repeat gets the first (stored) answer, a fault
        included, as QBO replays it; an `injected` fault stands in for the write's answer."""

        def attempt() -> tuple[int, dict]:
            try:
                if injected:
                    raise injected
                return 200, {**action(), "time": self.backend.time()}
            except faults.QboFault as fault:
                if fault.status >= 500:
                    raise
                return fault.status, json.loads(self.fault(fault).body)

        status, body = self.backend.idempotent(realm_id, request.query.get("requestid"), attempt)
        return json_response(status, body)

    # ---- OAuth ----

    def discovery(self, request: Request) -> Response:
        """GET the discovery document: the OAuth endpoints this sandbox serves, and no others.

        Intuit's also lists userinfo_endpoint, jwks_uri and the ID token's claims; the sandbox
        issues no ID token (there is no openid scope), so it has none of them.
        """
        if request.method != "GET":
            return json_response(405, {"error": "invalid_request"})
        root = request.root
        return json_response(
            200,
            {
                "issuer": root,
                "authorization_endpoint": root + AUTHORIZE_PATH,
                "token_endpoint": root + TOKEN_PATH,
                "revocation_endpoint": root + REVOKE_PATH,
                "response_types_supported": ["code"],
                "scopes_supported": [SCOPE],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            },
        )

    def _client(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        config = self.backend.config
        return client_matches(client_id, secret, config.client_id, config.client_secret)

    def token(self, request: Request) -> Response:
        """POST /oauth2/v1/tokens/bearer: the authorization_code and refresh_token grants."""
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request"})
        if not self._client(request):
            return json_response(401, {"error": "invalid_client"})
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant_type = form.get("grant_type")
        asks = request.headers.get(HARD_EXPIRY_HEADER, "").strip().lower() == "true"
        timing = self.backend.config.token_timing(hard_expiry=asks)
        try:
            with self.backend.lock:
                if grant_type == "authorization_code" and form.get("code"):
                    answer = self.backend.oauth.exchange_code(
                        form["code"], form.get("redirect_uri", ""), timing
                    )
                elif grant_type == "refresh_token" and form.get("refresh_token"):
                    answer = self.backend.oauth.refresh(form["refresh_token"], timing)
                elif grant_type in {"authorization_code", "refresh_token"}:
                    raise OAuthError("invalid_request")
                else:
                    raise OAuthError("unsupported_grant_type")
        except OAuthError as error:
            return json_response(error.status, {"error": error.error})
        return json_response(200, answer, [("Cache-Control", "no-store")])

    def revoke(self, request: Request) -> Response:
        """POST /v2/oauth2/tokens/revoke: a refresh (or access) token and its whole grant."""
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request"})
        if not self._client(request):
            return json_response(401, {"error": "invalid_client"})
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        token = body.get("token") if isinstance(body, dict) else None
        if not token:
            return json_response(400, {"error": "invalid_request"})
        with self.backend.lock:
            self.backend.oauth.revoke(str(token))
        return Response(200, b"", "text/plain")

    def authorize(self, request: Request) -> Response:
        """GET shows the consent page; POST (Connect or Cancel) redirects to the app."""
        params = request.query
        if request.method == "POST":
            params = {
                k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()
            }
        problem = self._authorize_problem(params)
        if problem:
            return _page(400, "Something went wrong", f"<p class=error>{html.escape(problem)}</p>")
        if request.method == "GET":
            return self._consent(params)
        redirect = params["redirect_uri"]
        answer = {"state": params["state"]}
        if params.get("decision") == "connect":
            realm_id = params.get("realm_id") or next(iter(self.backend.companies))
            if self.backend.company(realm_id) is None:
                return _page(400, "Something went wrong", "<p class=error>Unknown company.</p>")
            with self.backend.lock:
                code = self.backend.oauth.issue_code(realm_id, redirect)
            answer = {"code": code, "state": params["state"], "realmId": realm_id}
        else:
            answer = {"error": "access_denied", "state": params["state"]}
        separator = "&" if "?" in redirect else "?"
        return Response(
            302, b"", "text/plain", [("Location", redirect + separator + urlencode(answer))]
        )

    def _authorize_problem(self, params: dict) -> str:
        config = self.backend.config
        if params.get("client_id") != config.client_id:
            return "invalid_client: the client_id is not a known app."
        if params.get("response_type") != "code":
            return "unsupported_response_type: response_type must be code."
        if SCOPE not in (params.get("scope") or "").split():
            return f"invalid_scope: the scope must include {SCOPE}."
        redirect = params.get("redirect_uri") or ""
        if not redirect.startswith(("http://", "https://")) or (
            config.redirect_uris and redirect not in config.redirect_uris
        ):
            return "invalid_request: the redirect_uri is not registered for this app."
        if not params.get("state"):
            return "invalid_request: state is required."
        if not self.backend.companies:
            return "There is no company in the sandbox to connect."
        return ""

    def _consent(self, params: dict) -> Response:
        hidden = "".join(
            f'<input type=hidden name="{k}" value="{html.escape(params[k])}">'
            for k in ("client_id", "response_type", "scope", "redirect_uri", "state")
        )
        companies = list(self.backend.companies.values())
        options = "".join(
            f'<option value="{html.escape(c.realm_id)}">{html.escape(c.name)}</option>'
            for c in companies
        )
        body = (
            f"<p>Distru wants to connect to <strong>{html.escape(companies[0].name)}</strong> "
            "to read and write its accounting data.</p>"
            f'<form method=post action="{AUTHORIZE_PATH}">{hidden}'
            f"<p><label>Company <select name=realm_id>{options}</select></label></p>"
            "<button name=decision value=connect>Connect</button> "
            "<button name=decision value=cancel>Cancel</button></form>"
            f'<p><a href="{ui.PREFIX}/" target=_blank>Open the sandbox company</a> to see or '
            "change what it holds, as in QuickBooks' own screens.</p>"
        )
        return _page(200, "Connect to QuickBooks Online (sandbox)", body)


def _page(status: int, title: str, body: str) -> Response:
    page = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:3em auto}"
        ".error{color:#b00}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(status, page.encode(), "text/html; charset=utf-8")


def _classify(request: Request, segments: list[str]) -> tuple[str | None, str]:
    """The entity and operation of an API call, for the request log and fail-next matching."""
    head = segments[0].lower() if segments else ""
    if head == "query":
        text = request.query.get("query") or request.body.decode("utf-8", "replace")
        match = _FROM.search(text)
        return (QUERYABLE.get(match.group(1).lower()) if match else None), "query"
    if head in {"cdc", "batch"}:
        return None, head
    spec = BY_PATH.get(head)
    entity = spec.name if spec else None
    if request.method == "GET":
        return entity, "read"
    operation = request.query.get("operation")
    if request.query.get("include") == "void":
        return entity, "void"
    if operation:
        return entity, operation
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    return entity, "update" if isinstance(body, dict) and body.get("Id") else "create"


def _batch_items(request: Request) -> list[str]:
    """What a batch asks for, item by item ("Invoice create", "Query query"), for the log."""
    try:
        items = json.loads(request.body or b"{}").get("BatchItemRequest")
    except (ValueError, AttributeError):
        return []
    described = []
    for item in (
        [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    ):
        entity = next((key for key in item if key[:1].isupper()), "?")
        default = "query" if entity == "Query" else "create"
        described.append(f"{entity} {item.get('operation', default)}")
    return described


def _request(environ) -> Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    query_string = environ.get("QUERY_STRING", "")
    query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if "CONTENT_TYPE" in environ:
        headers["content-type"] = environ["CONTENT_TYPE"]
    return Request(
        environ["REQUEST_METHOD"].upper(),
        environ.get("PATH_INFO") or "/",
        query,
        body,
        headers,
        query_string,
        application_uri(environ).rstrip("/"),
    )
