"""django-q entry points: each loads what it needs and calls one service."""

from integrations.services.connection import qbo_client
from integrations.services.items import items_import
from integrations.services.outbox import sync_job_run, sync_jobs_drain


def items_import_task() -> int:
    """Import every QBO item (run in the background right after connecting)."""
    return items_import(client=qbo_client()).processed


def sync_job_run_task(job_id: int) -> str | None:
    """Push one outbox job to QBO."""
    job = sync_job_run(job_id=job_id)
    return job.status if job else None


def sync_jobs_drain_task() -> int:
    """The minute sweeper: run every due job, including any that was never enqueued."""
    return sync_jobs_drain()
