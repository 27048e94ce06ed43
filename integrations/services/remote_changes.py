"""One-way sync: documents edited or deleted in QBO are flagged here, never pulled back."""

import logging
from datetime import UTC, datetime

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import SyncJob, SyncRun
from integrations.outbox.fingerprint import differences
from integrations.outbox.jobs import new_request_id, sync_job_record
from integrations.outbox.registry import PRIORITY_NAME, sync_adapter_for, synced_models
from integrations.qbo.client import QboClient
from integrations.qbo.errors import QboCdcTruncatedError, clip
from integrations.selectors import sync_job_for
from integrations.services.mirror import object_problem
from integrations.services.runs import sync_run_note, sync_run_progress

logger = logging.getLogger(__name__)

SYNC_TOKEN_CHARS = SyncJob._meta.get_field("sync_token").max_length
READ_CHUNK = 500  # documents per query when a type is read again by Id, as the item sweep does
DELETED_IN_QBO = "Deleted in QuickBooks"
VOIDED_IN_QBO = "Voided in QuickBooks: every amount and quantity there is 0"
UNKNOWN_EDIT = (
    "Edited in QuickBooks: what changed is not known, since it was last sent before Distru "
    "kept what it sends"
)


def transaction_entities() -> list[str]:
    """The QBO transaction types this product pushes (name lists are not watched)."""
    entities = {
        sync_adapter_for(model).entity
        for model in synced_models()
        if sync_adapter_for(model).priority != PRIORITY_NAME
    }
    return sorted(entities)


def documents_flag(*, run: SyncRun, changes: dict[str, list]) -> None:
    """Flag the pushed documents a CDC answer shows edited or deleted in QBO; change nothing.

    A row that cannot be read is skipped and named in the run's log: QBO would send the same
    broken row again, so holding the watermark back would not recover it, only stall every
    later pass until the 30-day window dropped it anyway. A document whose change time alone
    is unreadable is still flagged, at the time of the pass.
    """
    for entity in transaction_entities():
        if rows := changes.get(entity):
            _flag(run, entity, rows)


def documents_changes_by_type(*, run: SyncRun, client: QboClient, since: datetime) -> dict:
    """The documents' changes when one CDC answer held QBO's cap and may have left some out:
    each type is asked for on its own, and a type at the cap by itself is read again by Id."""
    entities = transaction_entities()
    return {entity: _entity_changes(run, client, entity, since) for entity in entities}


def _entity_changes(run: SyncRun, client: QboClient, entity: str, since: datetime) -> list[dict]:
    """One type's CDC changes; at the cap by itself, every document of it pushed from here."""
    try:
        return client.cdc([entity], since).changes.get(entity, [])
    except QboCdcTruncatedError as capped:
        sync_run_note(
            run,
            event="reconcile",
            always=True,
            text=f"{capped.message}: every {entity} sent from here is read again instead.",
        )
        return _pushed_documents(client, entity)


def _pushed_documents(client: QboClient, entity: str) -> list[dict]:
    """Every document of `entity` pushed from here, as QBO holds it; one QBO no longer has
    comes back as CDC reports a deleted one (a query never returns deleted transactions)."""
    ids = list(
        SyncJob.objects.filter(qbo_entity=entity)
        .exclude(qbo_id="")
        .values_list("qbo_id", flat=True)
        .distinct()
    )
    checked_at = timezone.now().isoformat()
    documents = []
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        found = client.find(entity, {"Id": chunk})
        held = {str(row.get("Id")) for row in found}
        gone = [
            {"Id": qbo_id, "status": "Deleted", "MetaData": {"LastUpdatedTime": checked_at}}
            for qbo_id in chunk
            if qbo_id not in held
        ]
        documents += found + gone
    return documents


def _flag(run: SyncRun, entity: str, objects: list[dict]) -> None:
    by_id = {}
    for obj in objects:
        if problem := _row_problem(obj):
            sync_run_note(
                run,
                event="skipped",
                text=f"A {entity} change from QuickBooks was skipped: {problem}.",
                entity=entity,
            )
        else:
            by_id[str(obj["Id"]).strip()] = obj
    jobs = SyncJob.objects.filter(qbo_entity=entity, qbo_id__in=by_id).select_related(
        "content_type"
    )
    for job in jobs:
        remote = by_id[job.qbo_id]
        token = str(remote.get("SyncToken", ""))
        if remote.get("status") == "Deleted":
            if job.action != SyncJob.Action.DELETE:
                _mark(run, job, DELETED_IN_QBO, remote)
            continue
        if token == job.sync_token or job.action == SyncJob.Action.DELETE:
            continue  # our own write, or one we are deleting in QBO anyway
        adapter = sync_adapter_for(job.content_type.model_class())
        if _voided(remote):
            _mark(run, job, VOIDED_IN_QBO, remote, adapter.fingerprint(remote))
        elif not job.sent_fingerprint:
            _mark(run, job, UNKNOWN_EDIT, remote, adapter.fingerprint(remote))
        elif drift := differences(job.sent_fingerprint, remote, adapter.fingerprint_fields):
            what = f"Edited in QuickBooks: {'; '.join(drift)}"
            _mark(run, job, what, remote, adapter.fingerprint(remote))
        else:
            # Only QBO's bookkeeping moved (a payment applied): keep its SyncToken for updates.
            _sync_token_adopt(job, token)


def _voided(remote: dict) -> bool:
    """Whether QBO's copy is a voided one: nothing left to it, and "Voided" leading its note
    (sandbox README, "Void and delete"), so the flag says so instead of listing every zero."""
    note = remote.get("PrivateNote")
    return (
        isinstance(note, str)
        and note.startswith("Voided")
        and str(remote.get("TotalAmt")) in {"0", "0.0", "0.00"}
    )


def _sync_token_adopt(job: SyncJob, token: str) -> None:
    SyncJob.objects.filter(pk=job.pk).update(sync_token=token)
    job.content_type.model_class()._default_manager.filter(pk=job.object_id).update(
        sync_token=token
    )


def _row_problem(obj: dict) -> str | None:
    """Why a CDC row cannot be matched to a job and compared, or None when it can."""
    if problem := object_problem(obj):
        return problem
    token = obj.get("SyncToken", "")
    if not isinstance(token, str | int) or isinstance(token, bool):
        return f"its SyncToken {clip(repr(token), 60)} is not a QuickBooks SyncToken"
    if len(str(token)) > SYNC_TOKEN_CHARS or "\x00" in str(token):
        return "its SyncToken is not a QuickBooks SyncToken"
    return None


def _mark(
    run: SyncRun, job: SyncJob, what: str, remote: dict, remote_fingerprint: dict | None = None
) -> None:
    """Flag the job with what QBO's copy holds. An edited copy's SyncToken is taken, so the
    same edit is not flagged again and "keep QuickBooks' version" has nothing left to read."""
    SyncJob.objects.filter(pk=job.pk).update(
        remote_change=what,
        remote_changed_at=_changed_at(run, job, remote),
        remote_fingerprint=remote_fingerprint or {},
    )
    if remote_fingerprint is not None:
        _sync_token_adopt(job, str(remote.get("SyncToken", "")))
    sync_run_note(
        run, event="changed_in_qbo", always=True, text=f"{job.label}: {what}.", job_id=job.pk
    )
    sync_run_progress(run, updated=1)
    logger.info("%s: %s", job.label, what)


def _changed_at(run: SyncRun, job: SyncJob, remote: dict) -> datetime:
    """QBO's LastUpdatedTime of the row, or the time of this check when it is unreadable."""
    meta = remote.get("MetaData")
    stamp = meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
    try:
        changed = parse_datetime(stamp) if isinstance(stamp, str) else None
        if changed is not None and timezone.is_aware(changed):
            return changed.astimezone(UTC)  # a time past year 9999 in UTC fails here
    except (ValueError, OverflowError):
        pass
    sync_run_note(
        run,
        event="unreadable_time",
        always=True,
        text=f"{job.label}: QuickBooks sent no readable change time ({clip(repr(stamp), 60)}), "
        "so the time of this check is shown.",
        job_id=job.pk,
    )
    return timezone.now()


def remote_change_overwrite(*, record: models.Model) -> SyncJob | None:
    """Send our version over the one changed in QBO (a copy deleted there is made anew); the
    flag clears once QBO holds ours. None when there is no connection to send it through."""
    with transaction.atomic():
        job = sync_job_for(record)
        if job is not None and job.remote_change == DELETED_IN_QBO:
            _identity_forget(job)
        return sync_job_record(record=record)


@transaction.atomic
def remote_change_keep(*, record: models.Model) -> None:
    """Leave QBO's version as it is: clear the flag, and compare later edits with that version.

    A copy deleted in QBO is forgotten here, so saving the record again sends it anew.
    """
    job = sync_job_for(record)
    if job is None:
        return
    if job.remote_change == DELETED_IN_QBO:
        _identity_forget(job)
    SyncJob.objects.filter(pk=job.pk).update(
        remote_change="",
        remote_changed_at=None,
        sent_fingerprint=F("remote_fingerprint"),
        remote_fingerprint={},
        updated_at=timezone.now(),
    )


def _identity_forget(job: SyncJob) -> None:
    """The record and its job no longer name a QBO copy; the next push is a create, with a
    requestid of its own (QBO would answer an old one with the deleted copy)."""
    job.content_type.model_class()._default_manager.filter(pk=job.object_id).update(
        qbo_id="", sync_token=""
    )
    SyncJob.objects.filter(pk=job.pk).update(qbo_id="", sync_token="", request_id=new_request_id())
