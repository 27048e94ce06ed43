from django.db import models

from integrations.crypto import secret_decrypt, secret_encrypt


class EncryptedTextField(models.TextField):
    """A text column whose database value is Fernet ciphertext; Python code sees plaintext.

    The empty string is stored as is, so "no token" needs no key to read.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_encrypt(value)
