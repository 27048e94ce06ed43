"""Connecting to QuickBooks through the sandbox, over real HTTP, as a staff user would."""

import pytest
import requests
from django.conf import settings
from django.db import connection as db
from django.test import TestCase
from django.urls import reverse
from django_q.models import Task

from integrations.models import QboAccount, QboClass, QboConnection, SyncRun
from tests.integrations.oauth_helpers import callback_path_and_query, consent

pytestmark = pytest.mark.django_db


def _start(client) -> str:
    response = client.post(reverse("integrations:connect"))
    assert response.status_code == 302
    return response["Location"]


def connect(client, *, approve=True):
    """Run the whole flow and return the response to our callback, the import queued by it
    run (django-q runs synchronously in tests)."""
    path, query = callback_path_and_query(consent(_start(client), approve=approve))
    assert path == reverse("integrations:callback")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.get(path, query)


def test_the_whole_connect_flow(admin_client, qbo_sandbox, django_capture_on_commit_callbacks):
    authorize_url = _start(admin_client)
    assert authorize_url.startswith(qbo_sandbox.base_url + "/connect/oauth2?")
    assert "scope=com.intuit.quickbooks.accounting" in authorize_url

    path, query = callback_path_and_query(consent(authorize_url))
    assert query["realmId"] == qbo_sandbox.realm_id
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.get(path, query)

    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:key_accounts")
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.CONNECTED
    assert connection.realm_id == qbo_sandbox.realm_id
    assert connection.company_name
    assert connection.access_token and connection.refresh_token
    assert connection.access_token_expires_at and connection.refresh_token_expires_at
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_qboconnection")
        raw = " ".join(cursor.fetchone())
    assert connection.access_token not in raw and connection.refresh_token not in raw
    assert QboAccount.objects.filter(account_type=QboAccount.AccountType.BANK).exists()
    assert QboAccount.objects.filter(account_type=QboAccount.AccountType.INCOME).exists()
    assert QboClass.objects.filter(parent__isnull=False).exists()
    assert SyncRun.objects.filter(kind=SyncRun.Kind.CONNECT, status="succeeded").exists()

    page = admin_client.get(reverse("integrations:key_accounts")).content.decode()
    assert "Connected to QuickBooks" in page


def test_connect_imports_the_items_in_the_background(admin_client, qbo_sandbox):
    from integrations.models import QboItem

    connect(admin_client)  # django-q runs synchronously in tests
    assert QboItem.objects.exists()
    assert set(QboItem.objects.values_list("type", flat=True)) <= {"NonInventory", "Service"}
    run = SyncRun.objects.get(kind=SyncRun.Kind.ITEMS_FULL)
    assert run.status == SyncRun.Status.SUCCEEDED and run.processed == QboItem.objects.count()


def test_cancel_at_intuit_comes_back_as_a_clear_message(admin_client, qbo_sandbox):
    response = connect(admin_client, approve=False)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "access was not granted" in page
    assert QboConnection.objects.filter(status=QboConnection.Status.CONNECTED).count() == 0


def test_a_wrong_or_missing_state_is_refused(admin_client, qbo_sandbox):
    path, query = callback_path_and_query(consent(_start(admin_client)))
    for bad in ({**query, "state": "forged"}, {k: v for k, v in query.items() if k != "state"}):
        response = admin_client.get(path, bad, follow=True)
        assert "could not be verified" in response.content.decode()
    assert not QboConnection.objects.filter(status=QboConnection.Status.CONNECTED).exists()


def test_a_replayed_code_is_refused(admin_client, qbo_sandbox):
    path, query = callback_path_and_query(consent(_start(admin_client)))
    assert admin_client.get(path, query).status_code == 302
    # A second attempt with the same code, even with a fresh state, fails at Intuit.
    fresh_state = callback_path_and_query(_start(admin_client))[1]["state"]
    response = admin_client.get(path, {**query, "state": fresh_state}, follow=True)
    assert "Connecting to QuickBooks failed" in response.content.decode()


@pytest.mark.parametrize(
    "name", ["panel", "quickbooks", "key_accounts", "connect", "callback", "disconnect"]
)
def test_non_staff_users_are_refused_every_page(client, django_user_model, name):
    user = django_user_model.objects.create_user("clerk", password="pw")
    client.force_login(user)
    url = reverse(f"integrations:{name}")
    response = client.post(url) if name in {"connect", "disconnect"} else client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_integration_permission_only_read(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("integrations:quickbooks")).status_code == 200
    assert (
        "Connect to QuickBooks"
        not in client.get(reverse("integrations:quickbooks")).content.decode()
    )
    assert client.post(reverse("integrations:connect")).status_code == 403
    assert client.post(reverse("integrations:disconnect")).status_code == 403


def test_disconnect_revokes_at_intuit_and_wipes_here(admin_client, qbo_sandbox):
    connect(admin_client)
    refresh_token = QboConnection.objects.get().refresh_token
    admin_client.post(reverse("integrations:disconnect"))
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.DISCONNECTED
    assert connection.access_token == "" and connection.refresh_token == ""
    denied = requests.post(
        settings.QBO_TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(settings.QBO_CLIENT_ID, settings.QBO_CLIENT_SECRET),
        timeout=10,
    )
    assert denied.status_code == 400 and denied.json()["error"] == "invalid_grant"


def _callback(client, **changes):
    """Sign in at the sandbox, then call our callback with `changes` made to Intuit's answer."""
    path, query = callback_path_and_query(consent(_start(client)))
    return client.get(path, {**query, **changes}, follow=True)


def _nothing_kept(qbo_sandbox) -> None:
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.DISCONNECTED
    assert (connection.realm_id, connection.company_name) == ("", "")
    assert (connection.access_token, connection.refresh_token) == ("", "")
    # The fresh grant was revoked at Intuit, not left alive and unknown here.
    assert qbo_sandbox.backend.oauth.refresh_tokens == {}


def test_a_realm_the_new_tokens_cannot_read_is_never_stored_and_blocks_no_reconnect(
    admin_client, qbo_sandbox
):
    response = _callback(admin_client, realmId="1234567890")

    page = response.content.decode()
    assert "Connecting to QuickBooks failed: Connect again, and choose the company" in page
    _nothing_kept(qbo_sandbox)

    connect(admin_client)  # the honest sign-in that follows goes through
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.CONNECTED
    assert connection.realm_id == qbo_sandbox.realm_id


def test_when_reading_the_company_fails_nothing_is_kept(admin_client, qbo_sandbox):
    qbo_sandbox.fail_next(path="/companyinfo/", status=400, detail="Company file is locked")

    page = _callback(admin_client).content.decode()

    assert "Company file is locked" in page and "Nothing was saved" in page
    _nothing_kept(qbo_sandbox)
    assert not SyncRun.objects.exists()


def test_a_company_name_longer_than_the_column_is_clipped(admin_client, qbo_sandbox):
    qbo_sandbox.control("seed", company_name="Green Valley " * 30)  # 390 characters

    connect(admin_client)

    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.CONNECTED
    assert len(connection.company_name) == 255 and connection.company_name.endswith("…")


def test_reconnecting_revokes_the_grant_it_replaces_and_never_the_new_one(
    admin_client, qbo_sandbox
):
    connect(admin_client)
    replaced = QboConnection.objects.get().refresh_token

    connect(admin_client)  # the revoke happens once the new grant is committed

    current = QboConnection.objects.get().refresh_token
    alive = qbo_sandbox.backend.oauth.refresh_tokens
    assert current != replaced
    assert replaced not in alive and current in alive


def test_after_connecting_the_import_runs_in_the_worker(admin_client, qbo_sandbox):
    connect(admin_client)  # django-q runs synchronously in tests

    task = Task.objects.get(name="qbo-company-import")
    assert task.func == "integrations.tasks.company_import_task" and task.success
    kinds = set(SyncRun.objects.filter(status="succeeded").values_list("kind", flat=True))
    assert kinds == {SyncRun.Kind.CHANGES, SyncRun.Kind.CONNECT, SyncRun.Kind.ITEMS_FULL}
    # The change pipeline's first pass: its watermark is where the next one starts.
    assert QboConnection.objects.get().changes_watermark
