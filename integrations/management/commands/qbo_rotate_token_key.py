"""manage.py qbo_rotate_token_key: re-encrypt the stored tokens with the newest key."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.models import QboConnection

TOKEN_FIELDS = ["access_token", "refresh_token"]


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored QuickBooks tokens with the first key of QBO_TOKEN_KEYS, "
        "after which the older keys can be removed."
    )

    def handle(self, *args, **options):
        # The row lock keeps a token refresh in a worker from writing between the read and save.
        with transaction.atomic():
            connection = QboConnection.objects.select_for_update().filter(
                id=QboConnection.SINGLETON_ID
            )
            connection = connection.first()
            if connection is not None and connection.tokens_unreadable:
                # Saving now would write empty tokens over ciphertext an old key may still open.
                raise CommandError(
                    "Put the old key back in QBO_TOKEN_KEYS (after the new one) and run this "
                    "again, or reconnect to QuickBooks: no key in the list decrypts the stored "
                    "tokens."
                )
            if connection is None or not any(getattr(connection, f) for f in TOKEN_FIELDS):
                self.stdout.write("No stored QuickBooks tokens: nothing to re-encrypt.")
                return
            connection.save(update_fields=TOKEN_FIELDS)
        self.stdout.write(
            "The QuickBooks tokens are encrypted with the first key of QBO_TOKEN_KEYS; "
            "the other keys can now be removed."
        )
