"""Production settings: `check --deploy` has nothing to say, and the hardening is really on."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "distru_qbo.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "distru.example.com",
    "QBO_ENVIRONMENT": "production",
    "QBO_CLIENT_ID": "prod-client",
    "QBO_CLIENT_SECRET": "prod-secret",
    "QBO_REDIRECT_URI": "https://distru.example.com/settings/integrations/quickbooks/callback/",
    "QBO_TOKEN_KEYS": Fernet.generate_key().decode(),
}
SHOWN = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SILENCED_SYSTEM_CHECKS",
    "QBO_CLIENT_SECRET",
    "QBO_AUTHORIZE_URL",
    "QBO_TOKEN_URL",
    "QBO_REVOKE_URL",
    "QBO_API_BASE_URL",
]


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QBO_"))}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_reports_no_issue_at_all_in_production():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.fixture(scope="module")
def production_settings() -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k) for k in {SHOWN!r}}}))"
    )
    result = _manage("shell", "-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_turns_the_hardening_on(production_settings):
    s = production_settings
    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SESSION_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_SECURE"]
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["SILENCED_SYSTEM_CHECKS"] == []


def test_production_talks_to_intuit_over_https_never_to_the_sandbox(production_settings):
    s = production_settings
    assert s["QBO_CLIENT_SECRET"] == "prod-secret"
    for name in ("QBO_AUTHORIZE_URL", "QBO_TOKEN_URL", "QBO_REVOKE_URL", "QBO_API_BASE_URL"):
        assert s[name].startswith("https://") and "intuit.com" in s[name], name


def _refusal(result) -> str:
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr


def test_production_with_nothing_set_refuses_to_start_naming_each_variable():
    """It used to start in DEBUG, signing sessions and deriving the token key from the public
    development secret key."""
    stderr = _refusal(_manage("check", DJANGO_SETTINGS_MODULE="distru_qbo.settings",
                              QBO_ENVIRONMENT="production"))  # fmt: skip

    for variable in ("DJANGO_SECRET_KEY", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET"):
        assert f"Set {variable}" in stderr
    assert "django-insecure-dev-only-key" not in stderr


@pytest.mark.parametrize("environment", ["local", "production"])
@pytest.mark.parametrize("key", ["change-me", "x" * 60, "short-but-random-Zq81"])
def test_a_placeholder_or_weak_secret_key_is_refused_with_debug_off(environment, key):
    env = {**PRODUCTION, "QBO_ENVIRONMENT": environment, "DJANGO_SECRET_KEY": key}

    stderr = _refusal(_manage("check", **env))

    assert "Set DJANGO_SECRET_KEY" in stderr and key not in stderr


def test_debug_outside_local_is_refused():
    stderr = _refusal(_manage("check", **{**PRODUCTION, "DJANGO_DEBUG": "true"}))

    assert "Set DJANGO_DEBUG=false" in stderr


@pytest.mark.parametrize("variable", ["QBO_CLIENT_ID", "QBO_CLIENT_SECRET"])
def test_outside_local_an_empty_client_credential_is_refused(variable):
    """Never the sandbox's own credentials as a default, nor nothing at all."""
    stderr = _refusal(_manage("check", **{**PRODUCTION, variable: ""}))

    assert f"Set {variable}" in stderr
    assert "distru-local" not in stderr and PRODUCTION["QBO_CLIENT_SECRET"] not in stderr


def test_check_deploy_reports_each_insecure_setting(settings):
    """Settings made any other way (a settings module of one's own) meet the same checks."""
    settings.QBO_ENVIRONMENT = "production"
    settings.DEBUG = True
    settings.SECRET_KEY = "change-me"
    settings.QBO_CLIENT_ID = settings.QBO_CLIENT_SECRET = ""

    with pytest.raises(SystemCheckError) as reported:
        call_command("check", deploy=True)

    message = str(reported.value)
    for check_id, variable in [
        ("distru_qbo.E001", "DJANGO_DEBUG"),
        ("distru_qbo.E002", "DJANGO_SECRET_KEY"),
        ("distru_qbo.E003", "QBO_CLIENT_ID"),
        ("distru_qbo.E004", "QBO_CLIENT_SECRET"),
    ]:
        assert f"{check_id}) Set {variable}" in message
    assert "change-me" not in message


def test_local_needs_no_configuration_at_all():
    result = _manage("check", "--deploy", DJANGO_SETTINGS_MODULE="distru_qbo.settings")

    assert result.returncode == 0, result.stderr
    assert "distru_qbo.E" not in result.stdout


def test_a_bad_token_key_stops_the_start_not_the_first_sync():
    result = _manage("check", **{**PRODUCTION, "QBO_TOKEN_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "QBO_TOKEN_KEYS" in result.stderr
    assert "not-a-fernet-key" not in result.stderr
