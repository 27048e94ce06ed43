"""Tokens at rest: Fernet-encrypted, readable under every configured key, written under the
first, and re-encrypted by qbo_rotate_token_key so an old key can be retired."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from integrations.crypto import SecretDecryptionError
from integrations.models import QboConnection
from tests import factories

pytestmark = pytest.mark.django_db
ACCESS, REFRESH = "eyJ-access-token-plaintext", "RT1-refresh-token-plaintext"


def _raw() -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_qboconnection")
        return cursor.fetchone()


def _readable_with(settings, keys) -> bool:
    settings.QBO_TOKEN_KEYS = keys
    try:
        return QboConnection.objects.get().refresh_token == REFRESH
    except SecretDecryptionError:
        return False


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


def test_a_token_under_a_retired_key_fails_loudly_without_showing_it(settings, keys):
    old, new = keys
    settings.QBO_TOKEN_KEYS = [old]
    factories.QboConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)
    settings.QBO_TOKEN_KEYS = [new]
    with pytest.raises(SecretDecryptionError) as error:
        QboConnection.objects.get()
    message = str(error.value)
    assert "QBO_TOKEN_KEYS" in message and "reconnect" in message
    assert REFRESH not in message and _raw()[1] not in message and new not in message
