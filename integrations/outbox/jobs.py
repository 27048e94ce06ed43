"""The outbox's bookkeeping: a record's job is written with the record, in its transaction.

A save or delete of a synced record writes or refreshes its one `SyncJob`, and the job is
handed to django-q when the transaction commits; `runner.py` pushes it.
"""

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from integrations.models import QboConnection, SyncJob
from integrations.outbox.errors import OutboxError
from integrations.outbox.registry import sync_adapter_for
from integrations.selectors import sync_job_for

LIVE_STATUSES = [QboConnection.Status.CONNECTED, QboConnection.Status.EXPIRED]


def new_request_id() -> str:
    return uuid.uuid4().hex


def _connection_status() -> str | None:
    return (
        QboConnection.objects.filter(id=QboConnection.SINGLETON_ID)
        .values_list("status", flat=True)
        .first()
    )


def _initial_status(connection_status: str) -> str:
    """New work waits, paused, while the connection is expired; otherwise it is due now."""
    if connection_status == QboConnection.Status.EXPIRED:
        return SyncJob.Status.PAUSED
    return SyncJob.Status.PENDING


def _job_identity(adapter, record: models.Model) -> dict:
    return {
        "label": adapter.label(record),
        "qbo_entity": adapter.entity,
        "priority": adapter.priority,
    }


def sync_job_record(*, record: models.Model) -> SyncJob | None:
    """Write or refresh the record's job in the current transaction, and enqueue it on commit."""
    status = _connection_status()
    if status not in LIVE_STATUSES:
        return None  # records saved before the connection existed wait until saved again
    adapter = sync_adapter_for(type(record))
    content_type = ContentType.objects.get_for_model(record)
    initial = _initial_status(status)
    job, created = SyncJob.objects.get_or_create(
        content_type=content_type,
        object_id=str(record.pk),
        defaults={
            **_job_identity(adapter, record),
            "request_id": new_request_id(),
            "status": initial,
        },
    )
    if not created:
        # A finished job starts a new change with a new requestid; an unfinished one keeps its
        # id, so a create that QBO already made is answered, not repeated.
        finished = job.status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED)
        SyncJob.objects.filter(pk=job.pk).update(
            action=SyncJob.Action.UPSERT,
            label=adapter.label(record),
            revision=F("revision") + 1,
            status=job.status if job.status == SyncJob.Status.RUNNING else initial,
            request_id=new_request_id() if finished else job.request_id,
            attempts=0 if finished else job.attempts,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
    if initial == SyncJob.Status.PENDING:
        transaction.on_commit(lambda: sync_job_enqueue(job_id=job.pk))
    _release_held_dependencies(record)
    return job


def sync_jobs_record_new(*, records: list[models.Model]) -> list[SyncJob]:
    """Write a job for each of `records`, none of which has one, in a few inserts, and enqueue
    them on commit in the order given (a backfill's thousands)."""
    status = _connection_status()
    if status not in LIVE_STATUSES:
        return []
    initial = _initial_status(status)
    jobs = SyncJob.objects.bulk_create(
        [
            SyncJob(
                content_type=ContentType.objects.get_for_model(record),
                object_id=str(record.pk),
                **_job_identity(sync_adapter_for(type(record)), record),
                request_id=new_request_id(),
                status=initial,
            )
            for record in records
        ],
        batch_size=500,
    )
    if initial == SyncJob.Status.PENDING:
        for job in jobs:
            transaction.on_commit(lambda job_id=job.pk: sync_job_enqueue(job_id=job_id))
    return jobs


def _release_held_dependencies(record: models.Model) -> None:
    """A save never waits on a stopped backfill: what the record references, and what that
    references, is sent now if the backfill holds it."""
    if not SyncJob.objects.filter(status=SyncJob.Status.HELD).exists():
        return  # the usual case, in one indexed query
    unsent, seen, held = [record], set(), []
    while unsent:
        current = unsent.pop()
        try:
            dependencies = sync_adapter_for(type(current)).dependencies(current)
        except OutboxError:
            continue  # the record's own push says what is wrong, or waits
        for dependency in dependencies:
            key = (type(dependency), dependency.pk)
            if dependency.qbo_id or key in seen:
                continue
            seen.add(key)
            unsent.append(dependency)
            job = sync_job_for(dependency)
            if job is not None and job.status == SyncJob.Status.HELD:
                held.append(job.pk)
    sync_jobs_release(jobs=SyncJob.objects.filter(pk__in=held))


def sync_job_record_delete(*, record: models.Model) -> None:
    """A deleted record: delete (or inactivate) it in QBO if it got there, else forget its job.

    A job still running, or in a batch that went out unanswered, may be creating the record in
    QBO right now: it is kept, turned into a delete, and the worker deletes in QBO what it made
    once it knows its Id.
    """
    content_type = ContentType.objects.get_for_model(record)
    jobs = SyncJob.objects.filter(content_type=content_type, object_id=str(record.pk))
    job = jobs.select_for_update().first()
    running = job is not None and job.status == SyncJob.Status.RUNNING
    in_flight = running or (job is not None and job.batch_id is not None)
    # The worker writes the Id to the job too, maybe after this record was read.
    known = record if record.qbo_id or job is None else job
    status = _connection_status()
    if not in_flight and (not known.qbo_id or status not in LIVE_STATUSES):
        jobs.delete()
        return
    adapter = sync_adapter_for(type(record))
    values = {
        **_job_identity(adapter, record),
        "action": SyncJob.Action.DELETE,
        "qbo_id": known.qbo_id,
        "sync_token": known.sync_token,
        "request_id": new_request_id(),
        "status": SyncJob.Status.RUNNING if running else _initial_status(status),
        "attempts": 0,
        "next_attempt_at": timezone.now(),
        "last_error": "",
        "last_error_code": "",
    }
    if job is None:
        job = SyncJob.objects.create(content_type=content_type, object_id=str(record.pk), **values)
    else:
        jobs.update(**values, revision=F("revision") + 1, updated_at=timezone.now())
    if values["status"] == SyncJob.Status.PENDING:
        transaction.on_commit(lambda: sync_job_enqueue(job_id=job.pk))


def sync_job_enqueue(*, job_id: int) -> None:
    """Hand a job to the django-q workers."""
    async_task("integrations.tasks.sync_job_run_task", job_id, task_name=f"qbo-push-{job_id}")


def sync_jobs_retry(*, job_ids: list[int] | None = None) -> int:
    """The user asked again: failed jobs (all, or these) are due now with a clean slate."""
    jobs = SyncJob.objects.filter(status=SyncJob.Status.FAILED)
    if job_ids is not None:
        jobs = jobs.filter(pk__in=job_ids)
    return _due_now(jobs)


def sync_jobs_wake(*, code: str) -> int:
    """What held up the jobs that failed or wait with `code` is done: they are due now."""
    waiting = [SyncJob.Status.PENDING, SyncJob.Status.FAILED]
    return _due_now(SyncJob.objects.filter(last_error_code=code, status__in=waiting))


def sync_jobs_hold(*, jobs: models.QuerySet) -> int:
    """Hold these jobs' unsent work (a backfill stopped): kept as it is, sent by no worker."""
    waiting = [SyncJob.Status.PENDING, SyncJob.Status.PAUSED]
    return jobs.filter(status__in=waiting).update(
        status=SyncJob.Status.HELD, updated_at=timezone.now()
    )


def sync_jobs_release(*, jobs: models.QuerySet) -> int:
    """Held jobs are due again: handed to the workers, or paused while the connection is."""
    held = jobs.filter(status=SyncJob.Status.HELD)
    if _initial_status(_connection_status()) == SyncJob.Status.PAUSED:
        return held.update(status=SyncJob.Status.PAUSED, updated_at=timezone.now())
    return _due_now(held)


def _due_now(jobs: models.QuerySet) -> int:
    ids = list(jobs.values_list("pk", flat=True))
    SyncJob.objects.filter(pk__in=ids).update(
        status=SyncJob.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        updated_at=timezone.now(),
    )
    for job_id in ids:
        transaction.on_commit(lambda job_id=job_id: sync_job_enqueue(job_id=job_id))
    return len(ids)


def outbox_counts() -> dict[str, int]:
    """How many jobs are in each status (every SyncJob.Status is a key), and how many records
    were changed in QuickBooks (`changed_in_qbo`)."""
    counts = dict(SyncJob.objects.values_list("status").annotate(n=models.Count("pk")).order_by())
    return {
        **{status: counts.get(status, 0) for status in SyncJob.Status.values},
        "changed_in_qbo": SyncJob.objects.exclude(remote_change="").count(),
    }


def outbox_summary(*, shown: int = 50) -> dict:
    """For the status page: counts by state, the failed jobs, warnings, and QBO-side edits."""
    counts = outbox_counts()
    return {
        "counts": [(status.label, counts[status]) for status in SyncJob.Status],
        "failed": SyncJob.objects.filter(status=SyncJob.Status.FAILED).order_by("-updated_at")[
            :shown
        ],
        "warnings": SyncJob.objects.exclude(warning="").order_by("-updated_at")[:shown],
        "changed_in_qbo": SyncJob.objects.exclude(remote_change="").order_by("-remote_changed_at")[
            :shown
        ],
        "paused": counts[SyncJob.Status.PAUSED],
    }
