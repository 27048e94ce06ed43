"""Production settings: `check --deploy` has nothing to say, and the hardening is really on."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

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


def test_outside_local_the_sandbox_credentials_are_never_the_default():
    code = "from django.conf import settings; print(repr(settings.QBO_CLIENT_SECRET))"
    env = {**PRODUCTION}
    del env["QBO_CLIENT_SECRET"]
    result = _manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "''"


def test_a_bad_token_key_stops_the_start_not_the_first_sync():
    result = _manage("check", **{**PRODUCTION, "QBO_TOKEN_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "QBO_TOKEN_KEYS" in result.stderr
    assert "not-a-fernet-key" not in result.stderr
