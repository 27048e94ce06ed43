"""The /_sandbox/ control plane: reset, seed, inject failures, inspect state, manage tokens."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from typing import TYPE_CHECKING

from integrations.sandbox import faults, random_faults
from integrations.sandbox.backend import DEFAULT_REALM_ID

if TYPE_CHECKING:
    from integrations.sandbox.backend import Backend
    from integrations.sandbox.wsgi import Request, Response, SandboxApp

RULE_MATCHES = ("method", "path", "entity", "operation")
RULE_ACTIONS = ("status", "fault", "delay_ms", "drop_after_commit")


class ControlError(Exception):
    """A bad control-plane request (HTTP 400)."""


def handle(app: SandboxApp, request: Request) -> Response:
    """Serve one /_sandbox/ request."""
    from integrations.sandbox.wsgi import json_response

    name = request.path[len("/_sandbox/") :].strip("/")
    if not name and request.method in {"GET", "HEAD"}:
        return index(request)
    route = ROUTES.get((request.method, name))
    if route is None:
        return json_response(404, {"error": f"no control endpoint {request.method} /{name}"})
    try:
        body = json.loads(request.body or b"{}") if request.method == "POST" else {}
        if not isinstance(body, dict):
            raise ControlError("the body must be a JSON object")
        return json_response(200, route(app, body))
    except (ControlError, ValueError, TypeError) as error:
        return json_response(400, {"error": str(error)})
    except faults.QboFault as fault:
        return json_response(400, {"error": str(fault)})


def _reset(app: SandboxApp, body: dict) -> dict:
    """Forget everything and seed the company anew: {"seed": "sample|empty|us-ast|canada",
    "items": N}."""
    app.backend.reset(seed=body.get("seed", "sample"), items=int(body.get("items", 0)))
    app.limiter.clear()
    return {"ok": True, "realm_id": DEFAULT_REALM_ID, "counts": app.backend.counts()}


def _seed(app: SandboxApp, body: dict) -> dict:
    """Add or replace one company: {"seed", "items", "realm_id", "company_name"}."""
    company = app.backend.seed(
        seed=body.get("seed", "sample"),
        items=int(body.get("items", 0)),
        realm_id=str(body.get("realm_id", DEFAULT_REALM_ID)),
        name=body.get("company_name"),
    )
    return {"ok": True, "realm_id": company.realm_id, "counts": app.backend.counts()}


def _fail_next(app: SandboxApp, body: dict) -> dict:
    """Fail the next matching API call: match method, path, entity, operation; act by status,
    fault, delay_ms or drop_after_commit."""
    if not any(body.get(k) for k in RULE_ACTIONS):
        raise ControlError(f"a rule needs one of {', '.join(RULE_ACTIONS)}")
    unknown = set(body) - {*RULE_MATCHES, *RULE_ACTIONS, "times", "code", "message", "detail"}
    if unknown:
        raise ControlError(f"unknown rule fields: {', '.join(sorted(unknown))}")
    if body.get("fault") and body["fault"] not in faults.NAMED:
        raise ControlError(f"fault must be one of {', '.join(faults.NAMED)}")
    rule = {**body, "times": int(body.get("times", 1))}
    with app.backend.lock:
        app.backend.fail_rules.append(rule)
    return {"ok": True, "rules": app.backend.fail_rules}


def _state(app: SandboxApp, body: dict) -> dict:
    """Counts per company, the request log, the failure rules, the config, faults and webhooks."""
    backend = app.backend
    with backend.lock:
        requests = list(backend.requests)
        rules = [dict(r) for r in backend.fail_rules]
    return {
        "time": backend.time(),
        "realms": backend.counts(),
        "requests": requests,
        "fail_rules": rules,
        "config": asdict(backend.config),
        "faults": backend.random_faults.snapshot(backend.config),
        "webhooks": backend.webhooks.snapshot(),
    }


def _clear_requests(app: SandboxApp, body: dict) -> dict:
    """Empty the request log."""
    app.backend.requests.clear()
    return {"ok": True}


def _mint_token(app: SandboxApp, body: dict) -> dict:
    """A fresh token pair for a company, without the consent page: {"realm_id"}."""
    backend = app.backend
    realm_id = str(body.get("realm_id", DEFAULT_REALM_ID))
    if backend.company(realm_id) is None:
        raise ControlError(f"no company with realm id {realm_id}")
    with backend.lock:
        tokens = backend.oauth.mint(realm_id, backend.config.token_timing())
    return {**tokens, "realm_id": realm_id}


def _expire_tokens(app: SandboxApp, body: dict) -> dict:
    """Make the access tokens expire now (of one company with {"realm_id"})."""
    with app.backend.lock:
        count = app.backend.oauth.expire_access(body.get("realm_id"))
    return {"ok": True, "expired": count}


def _revoke_tokens(app: SandboxApp, body: dict) -> dict:
    """Revoke every token of a company, as disconnecting the app in QuickBooks does."""
    with app.backend.lock:
        app.backend.oauth.revoke_realm(str(body.get("realm_id", DEFAULT_REALM_ID)))
    return {"ok": True}


def _config(app: SandboxApp, body: dict) -> dict:
    """Change settings at run time (limits, latency_ms, access_token_ttl, ...)."""
    config = app.backend.config
    known = {f.name: f.type for f in fields(config)}
    changes = {}
    for key, value in body.items():
        if key not in known:
            raise ControlError(f"unknown setting {key}")
        current = getattr(config, key)
        if isinstance(current, bool) and not isinstance(value, bool):
            raise ControlError(f"{key} must be true or false")
        changes[key] = value if isinstance(current, bool | list) else type(current)(value)
    _check_faults(replace(config, **changes))  # nothing changes unless all of it is valid
    for key, value in changes.items():
        setattr(config, key, value)
    return asdict(config)


def _faults(app: SandboxApp, body: dict) -> dict:
    """Random faults: set any of rate, seed, kinds and timeout_ms; the counts start again."""
    settings = {"rate": "fault_rate", "seed": "fault_seed", "kinds": "fault_kinds",
                "timeout_ms": "fault_timeout_ms"}  # fmt: skip
    unknown = set(body) - set(settings)
    if unknown:
        raise ControlError(f"unknown fault settings: {', '.join(sorted(unknown))}")
    _config(app, {settings[key]: value for key, value in body.items()})
    app.backend.random_faults.reset()
    return app.backend.random_faults.snapshot(app.backend.config)


def _check_faults(config) -> None:
    if not 0 <= config.fault_rate <= 1:
        raise ControlError("fault_rate must be between 0 and 1")
    if config.fault_timeout_ms < 0:
        raise ControlError("fault_timeout_ms must not be negative")
    if not isinstance(config.fault_kinds, list):
        raise ControlError("fault_kinds must be a list")
    random_faults.check_kinds(config.fault_kinds)


def _webhooks(app: SandboxApp, body: dict) -> dict:
    """Subscribe an app (url, verifier_token, format), unsubscribe (url null), drop or tune."""
    return app.backend.webhooks.configure(**body)


def _deposit(app: SandboxApp, body: dict) -> dict:
    """Mark a payment deposited, so QuickBooks refuses to change it (6540): {"payment_id"}."""
    if "payment_id" not in body:
        raise ControlError("payment_id is required")
    realm_id = str(body.get("realm_id", DEFAULT_REALM_ID))
    app.backend.mark_deposited(realm_id, str(body["payment_id"]))
    return {"ok": True}


def _clock(app: SandboxApp, body: dict) -> dict:
    """Move the sandbox's clock forward: {"advance_seconds"}."""
    with app.backend.lock:
        app.backend.clock_offset += float(body.get("advance_seconds", 0))
    return {"ok": True, "time": app.backend.time(), "offset": app.backend.clock_offset}


ROUTES = {
    ("POST", "reset"): _reset,
    ("POST", "seed"): _seed,
    ("POST", "fail-next"): _fail_next,
    ("GET", "state"): _state,
    ("POST", "requests/clear"): _clear_requests,
    ("POST", "token"): _mint_token,
    ("POST", "tokens/expire"): _expire_tokens,
    ("POST", "tokens/revoke"): _revoke_tokens,
    ("POST", "config"): _config,
    ("POST", "faults"): _faults,
    ("POST", "webhooks"): _webhooks,
    ("POST", "deposit"): _deposit,
    ("POST", "clock"): _clock,
}


def endpoints() -> list[dict]:
    """Every control endpoint: its method, path and what it does."""
    return [
        {
            "method": method,
            "path": f"/_sandbox/{name}",
            "description": " ".join(route.__doc__.split()),
        }
        for (method, name), route in ROUTES.items()
    ]


def index(request: Request) -> Response:
    """GET /_sandbox/: the control endpoints, as a page for a browser (which asks for HTML)
    and as JSON for anything else, or with ?format=json."""
    from integrations.sandbox import ui
    from integrations.sandbox.wsgi import Response, json_response

    listed = endpoints()
    wants_html = "text/html" in request.headers.get("accept", "")
    if request.query.get("format") == "json" or not wants_html:
        return json_response(200, {"endpoints": listed, "screens": f"{ui.PREFIX}/"})
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            ui.e(row["method"]),
            ui.link(row["path"], row["path"]) if row["method"] == "GET" else ui.e(row["path"]),
            ui.e(row["description"]),
        )
        for row in listed
    )
    body = (
        "<p>POST takes a JSON object and answers JSON. "
        f"{ui.link('?format=json', 'This list as JSON')}; the company's own screens are at "
        f"{ui.link(ui.PREFIX + '/', ui.PREFIX + '/')}.</p>"
        "<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    page = ui.document("The sandbox's control plane", body)
    return Response(200, page.encode(), ui.HTML_TYPE, list(ui.SECURITY_HEADERS))


def take_rule(
    backend: Backend, request: Request, entity: str | None, operation: str
) -> dict | None:
    """Consume the first fail-next rule matching this API request, if any."""
    with backend.lock:
        for rule in backend.fail_rules:
            if _matches(rule, request, entity, operation):
                rule["times"] -= 1
                if rule["times"] <= 0:
                    backend.fail_rules.remove(rule)
                return dict(rule)
    return None


def _matches(rule: dict, request: Request, entity: str | None, operation: str) -> bool:
    checks = (
        ("method", request.method, lambda want, got: want.upper() == got),
        ("path", request.path + "?" + request.query_string, lambda want, got: want in got),
        ("entity", entity or "", lambda want, got: want.lower() == got.lower()),
        ("operation", operation, lambda want, got: want.lower() == got),
    )
    return all(rule.get(key) is None or test(rule[key], got) for key, got, test in checks)


def rule_fault(rule: dict) -> faults.QboFault | None:
    """The fault a rule injects (a named one, or what its `status` stands for), if any."""
    if rule.get("fault"):
        return faults.NAMED[rule["fault"]]()
    if not rule.get("status"):
        return None
    status = int(rule["status"])
    if status == 401:
        return faults.authentication_failed("Token expired")
    if status == 403:
        return faults.authorization_failed()
    if status == 429:
        return faults.QboFault("3001", "ThrottleExceeded", "", status=429)
    if status >= 500:
        fault = faults.system_failure(rule.get("detail") or "Injected by the sandbox")
        fault.status = status
        fault.code = str(rule.get("code") or fault.code)
        return fault
    return faults.QboFault(
        str(rule.get("code") or "6000"),
        rule.get("message") or "A business validation error has occurred",
        rule.get("detail") or "Injected by the sandbox",
        element="",
        status=status,
    )
