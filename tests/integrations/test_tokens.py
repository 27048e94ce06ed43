"""The token lifecycle against the sandbox: refresh once, survive races, expire cleanly."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from integrations.models import QboConnection
from integrations.services.connection import QboNotConnectedError, qbo_client

ROOT = Path(__file__).resolve().parents[2]
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def _token_calls(sandbox) -> int:
    return len(sandbox.api_requests(method="POST", path=TOKEN_PATH))


@pytest.mark.django_db
def test_an_access_token_about_to_expire_is_refreshed_once_before_the_call(
    qbo_connected, qbo_sandbox
):
    old = qbo_connected.access_token
    QboConnection.objects.update(access_token_expires_at=timezone.now() + timedelta(seconds=30))

    client = qbo_client()
    assert client.company_info()["CompanyName"]
    assert client.preferences()

    assert _token_calls(qbo_sandbox) == 1
    connection = QboConnection.objects.get()
    assert connection.access_token != old
    assert connection.access_token_expires_at > timezone.now() + timedelta(minutes=30)


@pytest.mark.django_db
def test_a_401_refreshes_once_and_the_call_goes_through(qbo_connected, qbo_sandbox):
    qbo_sandbox.expire_tokens()  # the sandbox now refuses the token our clock thinks is fine
    assert qbo_client().company_info()["CompanyName"]
    assert _token_calls(qbo_sandbox) == 1
    assert len(qbo_sandbox.api_requests(entity="CompanyInfo", status=401)) == 1


@pytest.mark.django_db
def test_the_refresh_token_intuit_answers_is_kept_whether_the_same_or_a_new_one(
    qbo_connected, qbo_sandbox
):
    """Intuit hands the same refresh token back for about a day, then a new one, after which
    the old one is refused: the connection keeps whichever came last and goes on working."""
    first = qbo_connected.refresh_token
    qbo_sandbox.expire_tokens()
    assert qbo_client().company_info()["CompanyName"]
    assert QboConnection.objects.get().refresh_token == first

    qbo_sandbox.advance_clock(86400)
    qbo_sandbox.expire_tokens()
    assert qbo_client().company_info()["CompanyName"]
    second = QboConnection.objects.get().refresh_token
    assert second not in ("", first)

    qbo_sandbox.advance_clock(86400)
    qbo_sandbox.expire_tokens()
    assert qbo_client().company_info()["CompanyName"]
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.CONNECTED
    assert connection.refresh_token not in ("", first, second)
    assert _token_calls(qbo_sandbox) == 3


@pytest.mark.django_db
def test_a_revoked_refresh_token_marks_the_connection_expired(
    qbo_connected, qbo_sandbox, admin_client
):
    qbo_sandbox.revoke_tokens()
    with pytest.raises(QboNotConnectedError, match="Reconnect to QuickBooks"):
        qbo_client().company_info()
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.EXPIRED
    assert connection.access_token == connection.refresh_token == ""
    # The company and its settings are kept, so reconnecting picks up where it left off.
    assert connection.realm_id == qbo_sandbox.realm_id
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "Reconnect to QuickBooks" in page
    panel = admin_client.get(reverse("integrations:panel")).content.decode()
    assert "Reconnect to QuickBooks" in panel


@pytest.mark.django_db
def test_a_429_then_success_succeeds(qbo_connected, qbo_sandbox, settings):
    qbo_sandbox.fail_next(entity="CompanyInfo", status=429, times=1)
    assert qbo_client().company_info()["CompanyName"]
    statuses = [r["status"] for r in qbo_sandbox.api_requests(entity="CompanyInfo")]
    assert statuses == [429, 200]


REFRESH_RACE = """
import sys, time, django
django.setup()
from integrations.services.connection import ConnectionTokenProvider
start_at = float(sys.argv[1])
time.sleep(max(0.0, start_at - time.time()))
print(ConnectionTokenProvider().access_token())
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_refreshing_at_once_cause_one_refresh_and_both_succeed(
    qbo_connected, qbo_sandbox
):
    if db.vendor != "postgresql":
        pytest.skip("row locks across processes are a PostgreSQL guarantee")
    # Within a day Intuit hands the same refresh token back, and a second refresh would go
    # through unlocked too; rotating it on every refresh makes the race one that locks out.
    qbo_sandbox.configure(refresh_token_rotation=0)
    QboConnection.objects.update(access_token_expires_at=timezone.now() - timedelta(seconds=1))
    db_settings = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "distru_qbo.settings",
        "DATABASE_URL": (
            f"postgres://{db_settings['USER']}@{db_settings['HOST']}:{db_settings['PORT']}/"
            f"{db_settings['NAME']}"
        ),
        "QBO_ENVIRONMENT": "local",
        "QBO_SANDBOX_URL": qbo_sandbox.base_url,
        "QBO_TOKEN_KEYS": ",".join(settings.QBO_TOKEN_KEYS),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
    }
    start_at = str(time.time() + 1.5)
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", REFRESH_RACE, start_at],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [worker.communicate(timeout=60) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), results
    tokens = {out.strip() for out, _ in results}
    assert len(tokens) == 1
    assert _token_calls(qbo_sandbox) == 1
    assert QboConnection.objects.get().access_token == tokens.pop()
