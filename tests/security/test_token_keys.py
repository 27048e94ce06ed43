"""Tokens at rest: Fernet-encrypted, readable under every configured key, written under the
first, and re-encrypted by qbo_rotate_token_key so an old key can be retired."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django.urls import reverse

from integrations.models import QboConnection, SyncJob
from integrations.outbox.runner import sync_job_run
from tests import factories

pytestmark = pytest.mark.django_db
ACCESS, REFRESH = "eyJ-access-token-plaintext", "RT1-refresh-token-plaintext"


def _raw() -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_qboconnection")
        return cursor.fetchone()


def _readable_with(settings, keys) -> bool:
    settings.QBO_TOKEN_KEYS = keys
    return QboConnection.objects.get().refresh_token == REFRESH


@pytest.fixture
def keys():
    return Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_the_columns_hold_ciphertext_only(settings, keys):
    settings.QBO_TOKEN_KEYS = [keys[0]]
    factories.QboConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)
    raw = " ".join(_raw())
    assert ACCESS not in raw and REFRESH not in raw and "plaintext" not in raw
    assert Fernet(keys[0]).decrypt(_raw()[1].encode()).decode() == REFRESH


def test_after_rotation_the_old_key_still_decrypts_and_the_new_one_encrypts(settings, keys):
    old, new = keys
    settings.QBO_TOKEN_KEYS = [old]
    factories.QboConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)

    assert _readable_with(settings, [new, old])  # old rows, new key in front
    settings.QBO_TOKEN_KEYS = [new, old]
    QboConnection.objects.get().save()  # any write, e.g. a token refresh, uses the new key
    assert _readable_with(settings, [new])
    assert not _readable_with(settings, [old])


def test_the_rotate_command_re_encrypts_so_the_old_key_can_go(settings, keys, capsys):
    old, new = keys
    settings.QBO_TOKEN_KEYS = [old]
    factories.QboConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)
    before = _raw()

    settings.QBO_TOKEN_KEYS = [new, old]
    call_command("qbo_rotate_token_key")
    assert "can now be removed" in capsys.readouterr().out
    assert _raw() != before
    assert _readable_with(settings, [new])
    settings.QBO_TOKEN_KEYS = [new]
    assert QboConnection.objects.get().access_token == ACCESS


def test_the_rotate_command_with_no_tokens_changes_nothing(settings, keys, capsys):
    factories.QboConnectionFactory(access_token="", refresh_token="")
    call_command("qbo_rotate_token_key")
    assert "nothing to re-encrypt" in capsys.readouterr().out
    assert _raw() == ("", "")


def test_a_token_under_a_retired_key_reads_as_unreadable_never_as_its_ciphertext(settings, keys):
    old, new = keys
    settings.QBO_TOKEN_KEYS = [old]
    factories.QboConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)
    settings.QBO_TOKEN_KEYS = [new]

    connection = QboConnection.objects.get()

    assert connection.tokens_unreadable
    assert connection.access_token == "" and connection.refresh_token == ""


@pytest.fixture
def key_changed(settings, keys, admin_client):
    """Connected, with a push waiting, and then QBO_TOKEN_KEYS changed without a rotation."""
    old, new = keys
    settings.QBO_TOKEN_KEYS = [old]
    factories.QboConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)
    factories.CustomerFactory()  # its job waits: on-commit hooks do not run here
    settings.QBO_TOKEN_KEYS = [new]
    return admin_client


def test_a_changed_key_expires_the_connection_and_every_page_says_reconnect(key_changed, caplog):
    client = key_changed
    pages = [
        reverse("integrations:panel"),
        reverse("integrations:quickbooks"),
        reverse("integrations:key_accounts"),
        reverse("admin:integrations_qboconnection_changelist"),
        reverse("admin:integrations_qboconnection_change", args=[QboConnection.SINGLETON_ID]),
    ]
    answers = {url: client.get(url) for url in pages}

    assert {url: answer.status_code for url, answer in answers.items()} == dict.fromkeys(pages, 200)
    assert "Reconnect to QuickBooks" in answers[reverse("integrations:quickbooks")].content.decode()
    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.EXPIRED and not connection.tokens_unreadable
    assert _raw() == ("", "")
    assert list(SyncJob.objects.values_list("status", flat=True)) == [SyncJob.Status.PAUSED]
    assert "QBO_TOKEN_KEYS" in caplog.text and REFRESH not in caplog.text


def test_with_a_changed_key_disconnect_works(key_changed):
    response = key_changed.post(reverse("integrations:disconnect"))

    assert response.status_code == 302
    assert QboConnection.objects.get().status == QboConnection.Status.DISCONNECTED


def test_with_a_changed_key_the_commands_work(key_changed, capsys):
    call_command("qbo_status")
    assert "Expired: reconnect to QuickBooks" in capsys.readouterr().out

    call_command("qbo_disconnect")
    assert QboConnection.objects.get().status == QboConnection.Status.DISCONNECTED


def test_with_a_changed_key_the_worker_pauses_the_push(key_changed):
    job = SyncJob.objects.get()

    sync_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.PAUSED and "Reconnect" in job.last_error
    assert QboConnection.objects.get().status == QboConnection.Status.EXPIRED


def test_the_rotate_command_refuses_tokens_no_key_opens_and_keeps_them(key_changed):
    before = _raw()

    with pytest.raises(CommandError, match="Put the old key back in QBO_TOKEN_KEYS"):
        call_command("qbo_rotate_token_key")

    assert _raw() == before
