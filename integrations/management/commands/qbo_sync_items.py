from django.core.management.base import BaseCommand, CommandError

from integrations.models import SyncRun
from integrations.qbo.errors import QboError
from integrations.services.connection import QboNotConnectedError
from integrations.services.items import item_sync_run

BAR_WIDTH = 40


class Command(BaseCommand):
    help = "Sync the QBO items now: one CDC call since the last sync, or everything with --full."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Re-read every item (and the accounts and classes) and remove what QBO dropped.",
        )

    def handle(self, *args, full=False, **options):
        try:
            run = item_sync_run(full=full, progress=self._bar, trigger=SyncRun.Trigger.COMMAND)
        except (QboError, QboNotConnectedError) as exc:
            raise CommandError(f"The item sync failed: {exc}") from exc
        if run.kind == SyncRun.Kind.ITEMS_FULL:
            self.stdout.write("")  # end the progress bar's line
        for note in run.details:
            self.stdout.write(f"  {note['text']}")
        if run.status == SyncRun.Status.RUNNING:
            self.stdout.write(self.style.WARNING(f"Another item sync is running: {run}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"{run.get_kind_display()}: {run.message}"))

    def _bar(self, done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total} items", ending="")
        self.stdout.flush()
