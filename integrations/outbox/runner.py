"""The outbox's worker side: claim a due job, push it once and in order, record the answer.

A job is pushed in a django-q task, outside any transaction, with the job's stable
`requestid`, so a retried create is never doubled; the minute sweeper runs any job whose
enqueue was lost and hands back jobs whose worker died.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import QboConnection, SyncJob
from integrations.outbox.jobs import job_for, new_request_id, sync_job_enqueue, sync_job_record
from integrations.outbox.registry import PushContext, PushRefused, sync_adapter_for
from integrations.qbo.client import QboClient
from integrations.qbo.errors import (
    QboAuthenticationError,
    QboDepositedError,
    QboDuplicateNameError,
    QboError,
    QboInvalidReferenceError,
    QboMalformedResponseError,
    QboNotFoundError,
    QboStaleObjectError,
    QboValidationError,
)
from integrations.services.connection import QboNotConnectedError, qbo_client

logger = logging.getLogger(__name__)

# A running job whose worker died is handed out again after this long.
STALE_RUN = timedelta(minutes=10)
MAX_RETRIABLE_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 15
BACKOFF_CAP_SECONDS = 3600


class DependencyNotSynced(Exception):
    """A record this one references could not be pushed first."""

    def __init__(self, message: str, *, dependency_job: SyncJob | None = None) -> None:
        super().__init__(message)
        self.dependency_job = dependency_job


def sync_job_run(*, job_id: int, client: QboClient | None = None) -> SyncJob | None:
    """Claim a due job, push it outside any transaction, and record what QBO answered."""
    job = _claim(job_id)
    if job is None:
        return None  # another worker has it, or it is not due
    try:
        client = client or qbo_client()
        outcome = _push(job, client)
    except QboNotConnectedError as exc:
        return _finish(job, status=SyncJob.Status.PAUSED, error=str(exc))
    except PushRefused as exc:
        return _finish(job, status=SyncJob.Status.FAILED, error=str(exc))
    except DependencyNotSynced as exc:
        status = SyncJob.Status.PENDING
        if job.attempts >= MAX_RETRIABLE_ATTEMPTS:
            status = SyncJob.Status.FAILED
        job = _finish(job, status=status, error=str(exc), waiting_on=exc.dependency_job)
        if exc.dependency_job and _has_reached_qbo(exc.dependency_job):
            _wake_waiters(exc.dependency_job)  # it finished between our look and our wait
        return job
    except QboError as exc:
        if _worth_retrying(exc) and job.attempts < MAX_RETRIABLE_ATTEMPTS:
            return _finish(job, status=SyncJob.Status.PENDING, error=_readable(exc), exc=exc)
        return _finish(job, status=SyncJob.Status.FAILED, error=_readable(exc), exc=exc)
    except Exception as exc:
        # A bug must not strand the job as "running": it fails, visibly, and can be retried.
        logger.exception("Unexpected error pushing %s", job.label)
        return _finish(job, status=SyncJob.Status.FAILED, error=f"Unexpected error: {exc!r}")
    return _succeed(job, outcome)


def _worth_retrying(exc: QboError) -> bool:
    # A 401 that outlived the client's one refresh, while the connection stands (a dead one
    # raises QboNotConnectedError instead), is a race with another worker's refresh or an
    # expiry in between: a later attempt with the newest token goes through.
    return exc.retriable or isinstance(exc, QboAuthenticationError)


def sync_jobs_drain(*, limit: int = 500, budget_seconds: float | None = None) -> int:
    """Run due pending jobs in dependency order, and hand back jobs whose worker died.

    With a budget, it stops starting jobs once the budget is spent: the minute sweeper must end
    well inside django-q's task timeout, or a backlog of thousands gets it killed mid-job every
    time. What it leaves is due still, for the queued tasks and the next sweep.
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    SyncJob.objects.filter(
        status=SyncJob.Status.RUNNING, started_at__lt=timezone.now() - STALE_RUN
    ).update(status=SyncJob.Status.PENDING, updated_at=timezone.now())
    due = SyncJob.objects.filter(
        status=SyncJob.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    ran = 0
    for job_id in list(due):
        if deadline is not None and time.monotonic() >= deadline:
            break
        if sync_job_run(job_id=job_id) is not None:
            ran += 1
    return ran


def _claim(job_id: int) -> SyncJob | None:
    now = timezone.now()
    claimed = SyncJob.objects.filter(
        pk=job_id, status=SyncJob.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=SyncJob.Status.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        claimed_revision=F("revision"),
        updated_at=now,
    )
    return SyncJob.objects.get(pk=job_id) if claimed else None


@dataclass(frozen=True)
class PushOutcome:
    """What QBO answered (None when nothing was written), and anything the user should know."""

    result: dict | None = None
    warning: str = ""


def _push(job: SyncJob, client: QboClient) -> PushOutcome:
    model = job.content_type.model_class()
    adapter = sync_adapter_for(model)
    if job.action == SyncJob.Action.DELETE:
        _push_delete(job, adapter, client, job.qbo_id, job.sync_token)
        return PushOutcome()
    record = model._default_manager.filter(pk=job.object_id).first()
    if record is None:
        return PushOutcome()  # deleted before it was pushed: nothing to do in QBO
    if not adapter.wants_push(record):
        if record.qbo_id:
            _push_delete(job, adapter, client, record.qbo_id, record.sync_token)
            _store_identity(model, record.pk, "", "")
        return PushOutcome()
    for dependency in adapter.dependencies(record):
        if not dependency.qbo_id:
            _push_dependency(dependency)
    record = model._default_manager.get(pk=record.pk)  # dependencies may have added ids
    context = PushContext(
        connection=QboConnection.objects.select_related(
            "default_income_account",
            "default_expense_account",
            "sales_deposit_account",
            "purchase_deposit_account",
        ).get()
    )
    body = adapter.payload(record, context=context)
    if not record.qbo_id and (existing := adapter.find_existing(record, client=client)):
        _store_identity(model, record.pk, str(existing["Id"]), str(existing["SyncToken"]))
        record.qbo_id, record.sync_token = str(existing["Id"]), str(existing["SyncToken"])
    try:
        return _write(client, adapter.entity, body, record, job.request_id)
    except QboDuplicateNameError:
        renamed = adapter.renamed_after_clash(record, body)
        if renamed is None:
            raise
        return _write(client, adapter.entity, renamed, record, f"{job.request_id[:40]}-renamed")
    except (QboNotFoundError, QboInvalidReferenceError):
        # An item on a line was inactivated in QBO since the last item sync (QBO says 610 or
        # 2500). Take in QBO's changes now (that unmaps it, so the line falls back to the
        # default) and send once more.
        from integrations.services.items import item_sync_run  # items → signals → outbox

        item_sync_run()
        rebuilt = adapter.payload(model._default_manager.get(pk=record.pk), context=context)
        gone = {
            ref: name for ref, name in _item_refs(body).items() if ref not in _item_refs(rebuilt)
        }
        if not gone:
            raise
        outcome = _write(client, adapter.entity, rebuilt, record, f"{job.request_id[:40]}-refs")
        names = ", ".join(f"“{name}”" for name in gone.values())
        return PushOutcome(
            outcome.result,
            f"{names} was inactivated in QuickBooks, so its lines use the default item instead. "
            "Remap the products if another item should be used.",
        )


def _item_refs(body: dict) -> dict[str, str]:
    refs = {}
    for line in body.get("Line", []):
        detail = line.get(line.get("DetailType", ""), {})
        if item := detail.get("ItemRef"):
            refs[item["value"]] = item.get("name", item["value"])
    return refs


def _write(client: QboClient, entity: str, body: dict, record, request_id: str) -> "PushOutcome":
    if not record.qbo_id:
        return PushOutcome(client.create(entity, body, request_id=request_id))
    return PushOutcome(
        _update_with_stale_retry(client, entity, body, record.qbo_id, record.sync_token, request_id)
    )


def _update_with_stale_retry(client, entity, body, qbo_id, sync_token, request_id) -> dict:
    payload = {**body, "Id": qbo_id, "SyncToken": sync_token}
    try:
        return client.update(entity, payload, request_id=request_id)
    except QboStaleObjectError:
        # Someone changed it in QBO since our last write: take their SyncToken, send ours once.
        current = client.read(entity, qbo_id)
        payload["SyncToken"] = current["SyncToken"]
        return client.update(entity, payload, request_id=f"{request_id[:40]}-stale")


def _push_delete(job, adapter, client, qbo_id: str, sync_token: str) -> None:
    if adapter.delete_mode == "inactivate":
        _update_with_stale_retry(
            client, adapter.entity, {"Active": False}, qbo_id, sync_token, job.request_id
        )
        return None
    try:
        client.delete(adapter.entity, qbo_id, sync_token, request_id=job.request_id)
    except QboDepositedError:
        raise  # voiding a deposited payment is refused just the same; the user must act
    except QboValidationError:
        if not adapter.voidable:
            raise
        client.void(adapter.entity, qbo_id, sync_token, request_id=f"{job.request_id[:40]}-void")
    return None


def _push_dependency(record: models.Model) -> None:
    job = job_for(record) or sync_job_record(record=record)
    if job is None:
        raise DependencyNotSynced(f"{record} cannot reach QuickBooks: there is no connection.")
    SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.FAILED).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now()
    )
    sync_job_run(job_id=job.pk)
    record.refresh_from_db(fields=["qbo_id"])
    if not record.qbo_id:
        job.refresh_from_db()
        reason = job.last_error or "it is still being pushed"
        raise DependencyNotSynced(
            f"Waiting for {record} to reach QuickBooks: {reason}", dependency_job=job
        )


def _has_reached_qbo(job: SyncJob) -> bool:
    return SyncJob.objects.filter(pk=job.pk).exclude(qbo_id="").exists()


def _wake_waiters(job: SyncJob) -> None:
    """The jobs held up by this one are due now, and are handed to the workers on commit."""
    waiters = list(
        SyncJob.objects.filter(waiting_on=job, status=SyncJob.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    SyncJob.objects.filter(pk__in=waiters).update(
        waiting_on=None, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    for waiter_id in waiters:
        transaction.on_commit(lambda waiter_id=waiter_id: sync_job_enqueue(job_id=waiter_id))


def _store_identity(model, pk, qbo_id: str, sync_token: str) -> None:
    # A queryset update: saving the record would fire its signal and queue it again.
    model._default_manager.filter(pk=pk).update(qbo_id=qbo_id, sync_token=sync_token)


@transaction.atomic
def _succeed(job: SyncJob, outcome: PushOutcome) -> SyncJob:
    result = outcome.result
    model = job.content_type.model_class()
    if result is not None:
        _store_identity(model, job.object_id, str(result["Id"]), str(result.get("SyncToken", "")))
    job = SyncJob.objects.select_for_update().get(pk=job.pk)
    now = timezone.now()
    if job.revision > job.claimed_revision and job.action == SyncJob.Action.UPSERT:
        # Saved again while we pushed: send the newer version too, as an update.
        job.status = SyncJob.Status.PENDING
        job.request_id = new_request_id()
        job.attempts = 0
        transaction.on_commit(lambda: sync_job_enqueue(job_id=job.pk))
    else:
        job.status = SyncJob.Status.SUCCEEDED
        job.succeeded_at = now
    if result is not None:
        job.qbo_id, job.sync_token = str(result["Id"]), str(result.get("SyncToken", ""))
    job.last_error = job.last_error_code = ""
    job.warning = outcome.warning
    job.remote_change, job.remote_changed_at = "", None  # QBO now holds our version
    job.waiting_on = None
    _wake_waiters(job)  # the record now has its QBO id, so what references it can go
    job.next_attempt_at = now
    job.save()
    return job


def _finish(
    job: SyncJob,
    *,
    status: str,
    error: str,
    exc: QboError | None = None,
    waiting_on: SyncJob | None = None,
) -> SyncJob:
    update = {
        "status": status,
        "last_error": error,
        "last_error_code": getattr(exc, "code", "") or "",
        "waiting_on": waiting_on,
        "updated_at": timezone.now(),
    }
    if status == SyncJob.Status.PENDING:
        update["next_attempt_at"] = timezone.now() + _backoff(job.attempts, exc)
    SyncJob.objects.filter(pk=job.pk).update(**update)
    logger.warning("QBO push of %s: %s (%s)", job.label, status, error)
    job.refresh_from_db()
    return job


def _backoff(attempts: int, exc: QboError | None) -> timedelta:
    retry_after = getattr(exc, "retry_after", None)
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    seconds = max(retry_after or 0, random.uniform(ceiling / 2, ceiling))  # noqa: S311
    return timedelta(seconds=seconds)


ADVICE = {
    "6240": "Another QuickBooks record already has this name: rename one of them.",
    "610": "A referenced QuickBooks record was deleted or made inactive: pick another one.",
    "2500": "A referenced QuickBooks record does not exist: refresh from QuickBooks and remap.",
    "6540": "The payment was deposited in QuickBooks: undo the deposit there first.",
    "6000": "QuickBooks refused the record: fix it as the message says, then retry.",
}


def _readable(exc: QboError) -> str:
    advice = ADVICE.get(str(exc.code or ""), "")
    if isinstance(exc, QboMalformedResponseError):
        advice = (
            "QuickBooks' answer was cut off or unreadable; it is sent again automatically with "
            "the same request id, so nothing is doubled."
        )
    elif _worth_retrying(exc):
        advice = "QuickBooks is busy or unreachable; this is retried automatically."
    return f"{exc}. {advice}".strip()
