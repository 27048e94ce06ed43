"""django-q entry points: each loads what it needs and calls one service."""

import logging

from integrations.models import QboConnection
from integrations.services.connection import connection_get, qbo_client
from integrations.services.default_items import default_items_ensure
from integrations.services.items import item_sync_run, items_import
from integrations.services.outbox import sync_job_run, sync_jobs_drain

logger = logging.getLogger(__name__)


def items_import_task() -> int:
    """Import every QBO item (run in the background right after connecting)."""
    return items_import(client=qbo_client()).processed


def item_sync_task(full: bool = False) -> int | None:
    """The hourly item sync, and the status page's Sync now; the run's id."""
    # The schedule keeps firing while disconnected; that is no failure worth recording.
    if connection_get().status != QboConnection.Status.CONNECTED:
        return None
    return item_sync_run(full=full).pk


def default_items_ensure_task() -> list[str]:
    """Put the default items on the key accounts just saved; what was done, for the task log."""
    notes = default_items_ensure(client=qbo_client())
    for note in notes:
        logger.log(logging.WARNING if note["problem"] else logging.INFO, note["text"])
    return [note["text"] for note in notes]


def sync_job_run_task(job_id: int) -> str | None:
    """Push one outbox job to QBO."""
    job = sync_job_run(job_id=job_id)
    return job.status if job else None


def sync_jobs_drain_task() -> int:
    """The minute sweeper: run every due job, including any that was never enqueued."""
    return sync_jobs_drain()
