from django.core.management.base import BaseCommand

from distru_qbo.words import counted
from integrations.models import SyncJob
from integrations.outbox.jobs import sync_jobs_retry
from integrations.outbox.runner import sync_jobs_drain


class Command(BaseCommand):
    help = "Push every due job in the QuickBooks outbox now, in dependency order."

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry-failed", action="store_true", help="Make failed jobs due again first."
        )
        parser.add_argument("--limit", type=int, default=10_000)

    def handle(self, *args, retry_failed=False, limit=10_000, **options):
        if retry_failed:
            self.stdout.write(f"Retrying {counted(sync_jobs_retry(), 'failed job')}.")
        ran = sync_jobs_drain(limit=limit)
        counts = {
            status: SyncJob.objects.filter(status=status).count() for status in SyncJob.Status
        }
        summary = ", ".join(
            f"{n} {SyncJob.Status(s).label.lower()}" for s, n in counts.items() if n
        )
        self.stdout.write(
            self.style.SUCCESS(f"Ran {counted(ran, 'job')}. Outbox: {summary or 'empty'}.")
        )
        for job in SyncJob.objects.filter(status=SyncJob.Status.FAILED)[:20]:
            self.stdout.write(self.style.WARNING(f"  failed: {job.label}: {job.last_error}"))
