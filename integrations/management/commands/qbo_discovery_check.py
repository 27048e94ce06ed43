from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.qbo import oauth
from integrations.qbo.errors import QboError
from integrations.services.connection import qbo_config

# The setting behind each QboConfig endpoint that a discovery document lists.
SETTINGS = {"authorize_url": "QBO_AUTHORIZE_URL", "token_url": "QBO_TOKEN_URL",
            "revoke_url": "QBO_REVOKE_URL"}  # fmt: skip
TIMEOUT_SECONDS = 10.0


class Command(BaseCommand):
    help = (
        "Compare the QuickBooks OAuth URLs in settings with those Intuit's discovery document "
        "lists (QBO_DISCOVERY_URL); exits 1 when one differs."
    )

    def handle(self, *args, **options):
        url = settings.QBO_DISCOVERY_URL
        try:
            listed = oauth.discovered_endpoints(url, timeout=TIMEOUT_SECONDS)
        except (QboError, ValueError) as exc:
            raise CommandError(
                f"Check the network and QBO_DISCOVERY_URL, then run this again: {exc}"
            ) from None
        config = qbo_config()
        differ = []
        for field, setting in SETTINGS.items():
            ours = getattr(config, field)
            if ours == listed[field]:
                self.stdout.write(f"{setting}: {ours} (as listed)")
            else:
                differ.append(f"{setting} is {ours}, Intuit lists {listed[field]}")
        if differ:
            raise CommandError(
                "Set these to the URLs Intuit lists (or drop the override) and restart: "
                + "; ".join(differ)
            )
        self.stdout.write(self.style.SUCCESS(f"The OAuth URLs are those {url} lists."))
