from django.core.management.base import BaseCommand, CommandError

from integrations.models import SyncRun
from integrations.qbo.errors import QboError
from integrations.services.changes import changes_sync_run
from integrations.services.connection import QboNotConnectedError

BAR_WIDTH = 40


class Command(BaseCommand):
    help = (
        "Take in what changed in QuickBooks now (items, accounts, classes, documents edited "
        "there): one CDC read since the last sync, or every item, account and class with --full."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Re-read every item (and the accounts and classes) and remove what QBO dropped.",
        )

    def handle(self, *args, full=False, **options):
        try:
            run = changes_sync_run(full=full, progress=self._bar, trigger=SyncRun.Trigger.COMMAND)
        except (QboError, QboNotConnectedError) as exc:
            raise CommandError(f"The sync failed: {exc}") from exc
        if run is None or run.status == SyncRun.Status.RUNNING:
            self.stdout.write(
                self.style.WARNING("Another sync is running: it runs once more when it ends.")
            )
            return
        if run.kind == SyncRun.Kind.ITEMS_FULL:
            self.stdout.write("")  # end the progress bar's line
        for note in run.details:
            self.stdout.write(f"  {note['text']}")
        self.stdout.write(self.style.SUCCESS(f"{run.get_kind_display()}: {run.message}"))

    def _bar(self, done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total} items", ending="")
        self.stdout.flush()
