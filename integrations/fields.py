from django.db import models

from integrations.crypto import (
    UNREADABLE_SECRET,
    SecretDecryptionError,
    secret_decrypt,
    secret_encrypt,
)


class EncryptedTextField(models.TextField):
    """A text column whose database value is Fernet ciphertext; Python code sees plaintext.

    The empty string is stored as is, so "no token" needs no key to read. A value no key in
    QBO_TOKEN_KEYS decrypts reads as UNREADABLE_SECRET (empty, and marked as such).
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return secret_decrypt(value)
        except SecretDecryptionError:
            return UNREADABLE_SECRET

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_encrypt(value)
