"""Encryption of secrets at rest (the QBO tokens), with key rotation.

Keys come from settings.QBO_TOKEN_KEYS: the first one encrypts, every one decrypts, so a key is
rotated by putting the new key first and re-saving the rows (`manage.py qbo_rotate_token_key`).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


class UnreadableSecret(str):
    """What a stored secret reads as when no configured key decrypts it: empty, and marked.

    Raising instead would turn every page that loads the connection into a 500, and with it
    the way out (reconnect) too.
    """


UNREADABLE_SECRET = UnreadableSecret()


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.QBO_TOKEN_KEYS])


def secret_encrypt(plaintext: str) -> str:
    """Encrypt with the primary key; the result is ASCII and safe for a text column."""
    return _fernet().encrypt(plaintext.encode()).decode()


def secret_decrypt(ciphertext: str) -> str:
    """Decrypt with whichever configured key encrypted it."""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "A stored QuickBooks token cannot be decrypted with QBO_TOKEN_KEYS; "
            "restore the old key or reconnect to QuickBooks."
        ) from exc
