from django.core.management.base import BaseCommand

from integrations.services.connection import connection_disconnect


class Command(BaseCommand):
    help = "Revoke the QuickBooks tokens at Intuit and wipe them here."

    def handle(self, *args, **options):
        connection = connection_disconnect()
        self.stdout.write(
            self.style.SUCCESS(f"Disconnected ({connection.realm_id or 'no realm'}).")
        )
