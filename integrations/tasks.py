"""django-q entry points: each loads what it needs and calls one service."""

import logging

from integrations.models import QboConnection, SyncRun
from integrations.outbox.runner import sync_job_dispatch, sync_jobs_drain
from integrations.services.changes import changes_sync_run, company_import_after_connect
from integrations.services.connection import connection_get, qbo_client
from integrations.services.default_items import default_items_ensure
from integrations.services.history import sync_history_prune
from integrations.services.mirror import company_mirror_refresh
from integrations.services.problems import problem_email_send
from integrations.services.reconciliation import reconciliation_run
from integrations.services.webhooks import webhook_events_waiting

logger = logging.getLogger(__name__)
# Half of django-q's task timeout (120 s): the sweeper stops starting jobs after this long.
SWEEP_BUDGET_SECONDS = 60


def company_import_task(run_id: int | None = None) -> int | None:
    """After connecting: the company, accounts and classes, then the items; the items run's id."""
    run = company_import_after_connect(run_id=run_id)
    return run.pk if run else None


def company_mirror_refresh_task(run_id: int | None = None) -> int:
    """Refresh accounts from QuickBooks, asked for on the key accounts page; the run's id."""
    return company_mirror_refresh(run_id=run_id).pk


def changes_sync_task(full: bool = False, *, trigger: str = SyncRun.Trigger.HOURLY) -> int | None:
    """The hourly pass of the change pipeline, and Sync now's; the run's id."""
    # The schedule keeps firing while disconnected; that is no failure worth recording.
    if connection_get().status != QboConnection.Status.CONNECTED:
        return None
    run = changes_sync_run(full=full, trigger=trigger)
    return run.pk if run else None


def webhook_changes_task() -> int | None:
    """Take in what QuickBooks' webhooks told of; nothing when an earlier pass took it all."""
    if connection_get().status != QboConnection.Status.CONNECTED or not webhook_events_waiting():
        return None
    run = changes_sync_run(trigger=SyncRun.Trigger.WEBHOOK)
    return run.pk if run else None


def default_items_ensure_task() -> list[str]:
    """Put the default items on the key accounts just saved; what was done, for the task log."""
    notes = default_items_ensure(client=qbo_client())
    for note in notes:
        logger.log(logging.WARNING if note["problem"] else logging.INFO, note["text"])
    return [note["text"] for note in notes]


def sync_job_run_task(job_id: int) -> str | None:
    """Push one outbox job to QBO (in a backlog, with a batch of others)."""
    job = sync_job_dispatch(job_id=job_id)
    return job.status if job else None


def sync_jobs_drain_task() -> int | None:
    """The minute sweeper: run every due job, including any that was never enqueued."""
    if connection_get().status != QboConnection.Status.CONNECTED:
        return None  # paused jobs wait for the reconnect, which kicks the sweeper itself
    return sync_jobs_drain(budget_seconds=SWEEP_BUDGET_SECONDS)


def problem_email_task(problem_id: int) -> int:
    """Email a new sync problem to the people who run the integration; how many emails went."""
    return problem_email_send(problem_id=problem_id)


def reconciliation_run_task(run_id: int) -> int:
    """Compare a period's documents here and in QuickBooks, for its page; the run's id."""
    return reconciliation_run(run_id=run_id).run_id


def sync_history_prune_task() -> dict[str, int]:
    """The daily prune of the sync runs and push attempts past QBO_HISTORY_DAYS."""
    return sync_history_prune()
