"""Sync runs: each import records its progress and its outcome for the status page."""

import logging
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.models import SyncRun
from integrations.qbo.errors import QboError, without_nul

logger = logging.getLogger(__name__)

# Routine lines a run's log keeps; the lines that ask the user to act are always kept.
NOTE_CAP = 200


@contextmanager
def sync_run(kind: str, *, trigger: str, run_id: int | None = None):
    """Record a run: succeeded when the block ends, failed with a readable message if it raises.

    `trigger` names what started it; `run_id` carries on a run recorded when the work was
    queued (with its trigger), so a page shows it at once.
    """
    if run_id:
        run = SyncRun.objects.get(pk=run_id)
    else:
        run = SyncRun.objects.create(kind=kind, trigger=trigger)
    try:
        yield run
    except Exception as exc:
        run.status = SyncRun.Status.FAILED
        run.message = _readable(exc)
        run.finished_at = timezone.now()
        run.save()
        logger.warning("%s failed: %s", run.get_kind_display(), run.message)
        raise
    run.status = SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()


def sync_run_progress(run: SyncRun, **counts: int) -> None:
    """Add to a running run's counters so the status page can show progress."""
    for name, value in counts.items():
        setattr(run, name, getattr(run, name) + value)
    run.save(update_fields=list(counts))


def sync_run_queue(kind: str, task: str, *, trigger: str, task_name: str, **kwargs) -> SyncRun:
    """Record a run as running, so a page shows it at once, and hand its work to the worker."""
    run = SyncRun.objects.create(kind=kind, trigger=trigger)
    transaction.on_commit(lambda: async_task(task, run_id=run.pk, task_name=task_name, **kwargs))
    return run


def _readable(exc: Exception) -> str:
    if isinstance(exc, QboError):
        return str(exc)
    return without_nul(str(exc)) or exc.__class__.__name__


def sync_run_note(run: SyncRun, *, event: str, text: str, always: bool = False, **data) -> None:
    """Add a line to the run's log (saved with the run); routine lines stop at NOTE_CAP."""
    if always or len(run.details) < NOTE_CAP:
        # Notes quote QBO's names, and a NUL would make PostgreSQL refuse the whole run.
        data = {key: without_nul(v) if isinstance(v, str) else v for key, v in data.items()}
        run.details.append({"event": event, "text": without_nul(text), **data})
