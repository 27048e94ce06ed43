"""The bundled QBO sandbox (its consent page and /_sandbox/ control plane) is never part of the
Django site, and its command refuses to start outside QBO_ENVIRONMENT=local."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver

SANDBOX_PATHS = [
    "/_sandbox/state",
    "/_sandbox/reset",
    "/_sandbox/token",
    "/_sandbox/fail-next",
    "/connect/oauth2",
    "/oauth2/v1/tokens/bearer",
    "/v2/oauth2/tokens/revoke",
    "/v3/company/9341453050298375/query",
    "/app/invoice",
]


def _views(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def test_no_django_view_comes_from_the_sandbox_package():
    modules = {getattr(view, "__module__", "") or "" for view in _views(get_resolver())}
    assert not [m for m in modules if m.startswith("integrations.sandbox")]


@pytest.mark.django_db
@pytest.mark.parametrize("path", SANDBOX_PATHS)
@pytest.mark.parametrize("environment", ["local", "production"])
def test_sandbox_paths_are_not_found_on_the_django_site(admin_client, settings, path, environment):
    settings.QBO_ENVIRONMENT = environment
    assert admin_client.get(path).status_code == 404
    assert admin_client.post(path, {}).status_code == 404


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_the_sandbox_command_refuses_outside_local(settings, monkeypatch, environment):
    settings.QBO_ENVIRONMENT = environment
    served = []
    monkeypatch.setattr(
        "integrations.management.commands.qbo_sandbox.serve", lambda *a: served.append(a)
    )
    with pytest.raises(CommandError, match="QBO_ENVIRONMENT=local"):
        call_command("qbo_sandbox", "--port", "0")
    assert served == []


def test_the_sandbox_command_runs_in_local(settings, monkeypatch):
    settings.QBO_ENVIRONMENT = "local"
    served = []
    monkeypatch.setattr(
        "integrations.management.commands.qbo_sandbox.serve", lambda *a: served.append(a)
    )
    call_command("qbo_sandbox", "--port", "0")
    assert len(served) == 1
