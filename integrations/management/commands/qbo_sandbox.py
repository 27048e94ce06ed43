"""manage.py qbo_sandbox: serve the local QuickBooks Online sandbox (OAuth + v3 API)."""

import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.sandbox.auth import DEFAULT_REFRESH_ROTATION
from integrations.sandbox.backend import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REALM_ID,
    Backend,
    Config,
    load_state,
)
from integrations.sandbox.random_faults import FAULT_KINDS, check_kinds
from integrations.sandbox.seed import SEEDS
from integrations.sandbox.server import serve
from integrations.sandbox.webhooks import CLOUDEVENTS, FORMATS


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve the local QuickBooks Online sandbox: OAuth, the v3 API and /_sandbox/."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--seed",
            choices=list(SEEDS),
            default="sample",
            help="sample: US, no sales tax; us-ast: US with automated sales tax; canada: GST/HST",
        )
        parser.add_argument("--items", type=int, default=0, help="generated items to add")
        parser.add_argument("--latency-ms", type=int, default=0, help="delay of every API call")
        parser.add_argument(
            "--state-file",
            type=Path,
            help="load the state from this JSON file if present; save it periodically and on exit",
        )
        parser.add_argument("--save-every", type=float, default=30.0, help="seconds")
        parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
        parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
        parser.add_argument("--access-token-ttl", type=int, default=3600, help="seconds")
        parser.add_argument(
            "--refresh-token-rotation",
            type=int,
            default=DEFAULT_REFRESH_ROTATION,
            help="seconds a refresh token is handed back on refresh before a new one replaces it"
            " (Intuit: a day; 0: a new one on every refresh)",
        )
        parser.add_argument(
            "--no-limits",
            action="store_true",
            help="turn off the 500/min, 10 concurrent and 40 batches/min limits",
        )
        parser.add_argument(
            "--fault-rate",
            type=float,
            default=0.0,
            help="share of API requests (0-1) answered with a random fault",
        )
        parser.add_argument("--fault-seed", type=int, default=0, help="seed of the random faults")
        parser.add_argument(
            "--fault-kinds",
            default=",".join(FAULT_KINDS),
            help=f"comma-separated kinds to draw from (default: all of {', '.join(FAULT_KINDS)})",
        )
        parser.add_argument(
            "--fault-timeout-ms",
            type=int,
            default=35_000,
            help="how long a `timeout` fault holds the answer back",
        )
        parser.add_argument(
            "--webhook-url",
            help="post a signed notification of every change to this URL, as Intuit does",
        )
        parser.add_argument(
            "--webhook-verifier-token",
            help="the token that signs them (default: the app's QBO_WEBHOOK_VERIFIER_TOKEN)",
        )
        parser.add_argument(
            "--webhook-format",
            choices=FORMATS,
            default=CLOUDEVENTS,
            help="CloudEvents (Intuit's current payload) or the legacy eventNotifications",
        )

    def handle(self, *args, **options):
        # Its control plane mints tokens and rewrites the books, and its consent page approves
        # anyone: it has no place next to a real QuickBooks connection.
        if settings.QBO_ENVIRONMENT != "local":
            raise CommandError(
                "The QBO sandbox only runs with QBO_ENVIRONMENT=local "
                f"(it is {settings.QBO_ENVIRONMENT!r})."
            )
        config = Config(
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            access_token_ttl=options["access_token_ttl"],
            refresh_token_rotation=options["refresh_token_rotation"],
            limits=not options["no_limits"],
            latency_ms=options["latency_ms"],
            fault_rate=options["fault_rate"],
            fault_seed=options["fault_seed"],
            fault_kinds=check_kinds(options["fault_kinds"].split(",")),
            fault_timeout_ms=options["fault_timeout_ms"],
        )
        backend = Backend(config)
        state_file = options["state_file"]
        if state_file and load_state(backend, state_file):
            self.stdout.write(f"Loaded the sandbox state from {state_file}")
        else:
            backend.reset(seed=options["seed"], items=options["items"])
        if state_file:
            state_file.parent.mkdir(parents=True, exist_ok=True)
        if options["webhook_url"]:
            try:
                backend.webhooks.configure(
                    url=options["webhook_url"],
                    verifier_token=options["webhook_verifier_token"]
                    or settings.QBO_WEBHOOK_VERIFIER_TOKEN,
                    format=options["webhook_format"],
                )
            except ValueError as error:
                raise CommandError(f"{error} (--webhook-url, --webhook-verifier-token).") from None
            self.stdout.write(f"Webhooks ({options['webhook_format']}) to {options['webhook_url']}")
        signal.signal(signal.SIGTERM, _interrupt)
        base = f"http://{options['host']}:{options['port']}"
        for realm_id, company in backend.companies.items():
            self.stdout.write(f"Company {company.name!r}, realm id {realm_id}")
        self.stdout.write(
            f"QBO sandbox on {base}  (authorize {base}/connect/oauth2, "
            f"API {base}/v3/company/{DEFAULT_REALM_ID}, control {base}/_sandbox/state)\n"
            f"Client id {config.client_id!r}; limits {'on' if config.limits else 'off'}; "
            f"random faults {config.fault_rate:.0%}. "
            "Ctrl-C stops it."
        )
        try:
            serve(backend, options["host"], options["port"], state_file, options["save_every"])
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
