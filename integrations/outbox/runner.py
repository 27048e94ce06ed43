"""The outbox's worker side: claim a due job, push it once and in order, record the answer.

A job is pushed in a django-q task, outside any transaction, with the job's stable
`requestid`, so a retried create is never doubled; the minute sweeper runs any job whose
enqueue was lost and hands back jobs whose worker died.
"""

import json
import logging
import math
import random
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db import models, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from distru_qbo.words import counted
from integrations.models import PushAttempt, QboConnection, SyncBatch, SyncJob, SyncRun
from integrations.outbox.errors import (
    QBO_SAID,
    ConnectionPaused,
    DependencyNotSynced,
    OutboxError,
    RetryLater,
    UserMustAct,
)
from integrations.outbox.jobs import new_request_id, sync_job_enqueue, sync_job_record
from integrations.outbox.registry import (
    PRIORITY_DOCUMENT,
    PRIORITY_PAYMENT,
    PushContext,
    PushRefused,
    sync_adapter_for,
    synced_models,
)
from integrations.qbo.client import MAX_BATCH_SIZE, QboClient
from integrations.qbo.errors import (
    QboAuthenticationError,
    QboAuthorizationError,
    QboDepositedError,
    QboDuplicateNameError,
    QboError,
    QboInvalidReferenceError,
    QboMalformedResponseError,
    QboNotFoundError,
    QboServerError,
    QboStaleObjectError,
    QboThrottledError,
    QboTransportError,
    QboValidationError,
    without_nul,
)
from integrations.selectors import sync_job_for
from integrations.services.connection import QboNotConnectedError, connection_pause, qbo_client
from integrations.services.mirror import company_preferences_import
from integrations.services.problems import push_problem_open, push_problems_close

logger = logging.getLogger(__name__)

# A running job whose worker died is handed out again after this long.
STALE_RUN = timedelta(minutes=10)
MAX_RETRIABLE_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 15
BACKOFF_CAP_SECONDS = 3600
# A backlog is more due jobs than one batch holds: then workers send batches of them. Below it
# every job goes on its own, at once, as a person saving a record expects.
BACKLOG_JOBS = MAX_BATCH_SIZE
# How many due jobs a worker looks at to fill a batch (some go on their own: see _batchable).
BATCH_CANDIDATES = 2 * MAX_BATCH_SIZE
# QBO takes 40 batch requests a minute and 500 requests: a batch of fewer operations than this
# would spend a scarce batch request on what single requests carry as well.
BATCH_MIN_OPERATIONS = MAX_BATCH_SIZE // 2
TID_CHARS = PushAttempt._meta.get_field("intuit_tid").max_length
# How a document's LinkedTxn may name a payment applied to it, when not by its entity name: a
# bill lists its check payments as "BillPaymentCheck" (Intuit's Bill reference, LinkedTxn).
LINKED_TXN_ENTITIES = {"BillPaymentCheck": "BillPayment"}


def sync_job_run(*, job_id: int, client: QboClient | None = None) -> SyncJob | None:
    """Claim a due job, push it outside any transaction, and record what QBO answered.

    A job whose batch went out unanswered is never pushed on its own: its run resends the batch.
    """
    batch_id = SyncJob.objects.filter(pk=job_id).values_list("batch_id", flat=True).first()
    if batch_id is not None:
        return _batch_resend(batch_id=batch_id, job_id=job_id, client=client)
    job = _claim(job_id)
    if job is None:
        return None  # another worker has it, or it is not due
    try:
        client = client or qbo_client()
        outcome = _push(job, client)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded; none strands the job
        return _settle_failure(job, exc)
    return _succeed(job, replace(outcome, intuit_tid=client.last_intuit_tid))


def sync_job_dispatch(*, job_id: int, client: QboClient | None = None) -> SyncJob | None:
    """Run a due job. In a backlog, and while QBO takes one more batch request now, first send
    a batch of up to 30 due jobs led by this one; what is left goes on its own."""
    if _in_backlog():
        try:
            client = client or qbo_client()
        except QboNotConnectedError:
            pass  # the job's own run pauses it
        else:
            if client.batch_wait() == 0 and (batch := _batch_compose(first_job_id=job_id)):
                if client.batch_wait(take=True) == 0:
                    _batch_deliver(batch, client, room_taken=True)
                else:
                    _batch_dissolve(batch)  # another worker took the room meanwhile
    return sync_job_run(job_id=job_id, client=client)


def _settle_failure(job: SyncJob, exc: Exception) -> SyncJob | None:
    """Record a push that failed, by the error contract."""
    intuit_tid = getattr(exc, "intuit_tid", None)
    if _deleted_before_created(job):
        return _abandon_create(job, exc, intuit_tid=intuit_tid)
    return _fail(job, push_failure(exc, label=job.label), intuit_tid=intuit_tid)


def push_failure(exc: Exception, *, label: str) -> OutboxError:
    """The error contract for any failure of a push: the user must act, or it is retried."""
    if isinstance(exc, OutboxError):
        return exc
    if isinstance(exc, QboError):
        return _qbo_failure(exc)
    # A bug here, not anything about the record or QBO: it fails visibly and can be retried.
    logger.error("Unexpected error pushing %s", label, exc_info=exc)
    return UserMustAct(
        "Press Retry to send it again; if it fails the same way, report this error to "
        f"support. An error in Distru stopped the push: {exc!r}",
        code="internal",
    )


def _qbo_failure(exc: QboError) -> OutboxError:
    """What QBO's answer means for the job; the one place QBO's error kinds are sorted."""
    code = str(exc.code or "")
    said = f"{QBO_SAID} {exc}"
    if isinstance(exc, QboMalformedResponseError):
        return RetryLater(
            "QuickBooks' answer was cut off or unreadable; the retry carries the same request "
            f"id, so nothing is doubled. {said}",
            code=code,
        )
    # QBO's own answer to the write, which it keeps for the requestid: a fault with HTTP 400
    # (or inside a 200). Anything else keeps the id: no answer or a 5xx (the write may have
    # happened), and the gateway's 401/403/429, which never reach QBO's store and may follow
    # an earlier attempt of the same request that did.
    new_request_id = exc.status in (200, 400)
    # No answer or QBO failing on its side (a 120 once came as a 500, minimul/qbo_api#96);
    # a throttle; or a 401 that outlived the client's one refresh while the connection stands
    # (a dead one raises QboNotConnectedError instead): a race with another worker's refresh
    # or an expiry in between, which a later attempt with the newest token gets past.
    if (
        isinstance(exc, QboTransportError | QboThrottledError | QboAuthenticationError)
        or (exc.status or 0) >= 500
    ):
        return RetryLater(
            f"QuickBooks is busy or unreachable. {said}", code=code, retry_after=exc.retry_after
        )
    if code in CONNECTION_ADVICE or isinstance(exc, QboAuthorizationError):
        advice = CONNECTION_ADVICE.get(code, CONNECTION_ADVICE["3100"])
        return ConnectionPaused(f"{advice} {said}", code=code, new_request_id=new_request_id)
    advice = ADVICE.get(code, FIX_AND_RETRY)
    return UserMustAct(f"{advice} {said}", code=code, new_request_id=new_request_id)


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
        if sync_job_dispatch(job_id=job_id) is not None:
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
    intuit_tid: str | None = None
    sent: dict | None = None  # the body QBO took, for the job's fingerprint
    # False when nothing was due in QBO (an order not completed, a record never sent): such a
    # run is no push attempt, and listing it as "Synced" would say QBO got something.
    reached_qbo: bool = True


NOTHING_SENT = PushOutcome(reached_qbo=False)


def _push(job: SyncJob, client: QboClient) -> PushOutcome:
    model = job.content_type.model_class()
    adapter = sync_adapter_for(model)
    if job.action == SyncJob.Action.DELETE:
        if job.qbo_id:  # without one, the record never reached QBO as far as anyone knows
            _push_delete(job, adapter, client, job.qbo_id, job.sync_token)
            return PushOutcome()
        return NOTHING_SENT
    record = model._default_manager.filter(pk=job.object_id).first()
    if record is None:
        return NOTHING_SENT  # deleted before it was pushed: nothing to do in QBO
    if not adapter.wants_push(record):
        if not record.qbo_id:
            return NOTHING_SENT
        _push_delete(job, adapter, client, record.qbo_id, record.sync_token)
        _store_identity(model, record.pk, "", "")
        # The job forgets it too: a later delete of the record has nothing left to delete.
        SyncJob.objects.filter(pk=job.pk).update(qbo_id="", sync_token="")
        return PushOutcome()
    for dependency in adapter.dependencies(record):
        if not dependency.qbo_id:
            _push_dependency(dependency)
    record = model._default_manager.get(pk=record.pk)  # dependencies may have added ids
    body = adapter.payload(record, context=_push_context())
    if not record.qbo_id and (existing := adapter.find_existing(record, client=client)):
        _store_identity(model, record.pk, str(existing["Id"]), str(existing["SyncToken"]))
        record.qbo_id, record.sync_token = str(existing["Id"]), str(existing["SyncToken"])
    return _deliver(job, client, _Write(model, record, body, record.qbo_id, record.sync_token))


@dataclass(frozen=True)
class _Write:
    """A record's create (no `qbo_id`) or update in QBO, as one push sends it."""

    model: type[models.Model]
    record: models.Model | None  # None once deleted here while its batch was out
    body: dict
    qbo_id: str
    sync_token: str


class _BatchAnswer:
    """What QBO answered a job's item in a batch: it stands for the push's first write."""

    def __init__(self, answer: dict | QboError) -> None:
        self._answer: dict | QboError | None = answer

    def or_send(self, send):
        """The batch's answer the first time (raised, when a fault); later, `send()`'s."""
        answer, self._answer = self._answer, None
        if answer is None:
            return send()
        if isinstance(answer, QboError):
            raise answer
        return answer


def _send_now(send):
    return send()


def _deliver(
    job: SyncJob, client: QboClient, write: _Write, answered: _BatchAnswer | None = None
) -> PushOutcome:
    """Write a record to QBO and get past the refusals fixed here (a name taken, an item
    inactivated in QBO, class tracking turned off); `answered` stands for the first write."""
    first = answered.or_send if answered else _send_now
    adapter, record, body = sync_adapter_for(write.model), write.record, write.body
    identity = (write.qbo_id, write.sync_token)
    try:
        return _write(client, adapter.entity, body, *identity, job.request_id, first)
    except QboDuplicateNameError:
        renamed = None if record is None else adapter.renamed_after_clash(record, body)
        if renamed is None:
            raise
        return _write(client, adapter.entity, renamed, *identity, f"{job.request_id[:40]}-renamed")
    except (QboNotFoundError, QboInvalidReferenceError):
        if record is None:
            raise
        # An item on a line was inactivated in QBO since the last sync of changes (QBO says 610 or
        # 2500). Take in QBO's changes now (that unmaps it, so the line falls back to the
        # default) and send once more.
        from integrations.services.changes import changes_sync_run  # → signals → outbox

        changes_sync_run(trigger=SyncRun.Trigger.PUSH)
        rebuilt = adapter.payload(
            write.model._default_manager.get(pk=record.pk), context=_push_context()
        )
        gone = {
            ref: name for ref, name in _item_refs(body).items() if ref not in _item_refs(rebuilt)
        }
        if not gone:
            raise
        outcome = _write(client, adapter.entity, rebuilt, *identity, f"{job.request_id[:40]}-refs")
        names = ", ".join(f"“{name}”" for name in gone.values())
        return replace(
            outcome,
            warning=f"{names} was inactivated in QuickBooks, so its lines use the default item "
            "instead. Remap the products if another item should be used.",
        )
    except QboValidationError:
        if record is None or not _class_refs(body):
            raise
        # Class tracking may have been turned off in QBO since the preferences were last read
        # (QBO's refusal has no recorded wording: see the sandbox README, "Class tracking").
        company_preferences_import(client=client)
        rebuilt = adapter.payload(record, context=_push_context())
        if _class_refs(rebuilt) >= _class_refs(body):
            raise
        request_id = f"{job.request_id[:40]}-classes"
        outcome = _write(client, adapter.entity, rebuilt, *identity, request_id)
        return replace(
            outcome,
            warning="Turn class tracking on in QuickBooks (Settings → Account and settings → "
            "Advanced → Categories), then save this record again if it should carry its "
            "classes: it was sent without them, since class tracking is off there.",
        )


def _push_context() -> PushContext:
    return PushContext(
        connection=QboConnection.objects.select_related(
            "default_income_account",
            "default_expense_account",
            "sales_deposit_account",
            "purchase_deposit_account",
        ).get()
    )


def _class_refs(body: dict) -> int:
    """How many ClassRefs a body carries, on the header and on its lines."""
    details = [line.get(line.get("DetailType", ""), {}) for line in body.get("Line", [])]
    return sum("ClassRef" in part for part in [body, *details])


def _item_refs(body: dict) -> dict[str, str]:
    refs = {}
    for line in body.get("Line", []):
        detail = line.get(line.get("DetailType", ""), {})
        if item := detail.get("ItemRef"):
            refs[item["value"]] = item.get("name", item["value"])
    return refs


def _write(
    client: QboClient,
    entity: str,
    body: dict,
    qbo_id: str,
    sync_token: str,
    request_id: str,
    first=_send_now,
) -> PushOutcome:
    """Create (without a QBO id) or update; `first` may stand in for the first send."""
    if not qbo_id:
        result = first(lambda: client.create(entity, body, request_id=request_id))
        return PushOutcome(result, sent=body)
    result = _update_with_stale_retry(client, entity, body, qbo_id, sync_token, request_id, first)
    return PushOutcome(result, sent=body)


def _with_current_sync_token(client, entity, qbo_id, sync_token, request_id, send) -> dict:
    """Send with `sync_token`; if it is stale (5010), re-read the current one and send once more."""
    try:
        return send(sync_token, request_id)
    except QboStaleObjectError:
        # Someone changed it in QBO since our last write (applying a payment moves an invoice's
        # SyncToken too): take the current SyncToken, send ours once.
        current = client.read(entity, qbo_id)
        return send(current["SyncToken"], f"{request_id[:40]}-stale")


def _update_with_stale_retry(
    client, entity, body, qbo_id, sync_token, request_id, first=_send_now
) -> dict:
    def update(token, request_id):
        payload = {**body, "Id": qbo_id, "SyncToken": token}
        return first(lambda: client.update(entity, payload, request_id=request_id))

    return _with_current_sync_token(client, entity, qbo_id, sync_token, request_id, update)


def _delete_with_stale_retry(client, entity, qbo_id, sync_token, request_id) -> dict:
    def delete(token, request_id):
        return client.delete(entity, qbo_id, token, request_id=request_id)

    return _with_current_sync_token(client, entity, qbo_id, sync_token, request_id, delete)


def _push_delete(job, adapter, client, qbo_id: str, sync_token: str) -> None:
    if adapter.delete_mode == "inactivate":
        _update_with_stale_retry(
            client, adapter.entity, {"Active": False}, qbo_id, sync_token, job.request_id
        )
        return None
    try:
        _delete_with_stale_retry(client, adapter.entity, qbo_id, sync_token, job.request_id)
    except QboNotFoundError:
        return None  # already gone: deleted in QBO, or by an attempt whose answer was lost
    except QboDepositedError:
        raise  # voiding a deposited payment is refused just the same; the user must act
    except QboValidationError:
        # QBO deletes no document that payments are applied to (nor voids a paid invoice), and
        # its fault says so only in words: read what is applied, delete ours first, then retry.
        current = client.read(adapter.entity, qbo_id)
        if payments := _applied_payments(current):
            _delete_linked_first(job, payments)
            unlinked_id = f"{job.request_id[:40]}-unlinked"
            _delete_with_stale_retry(
                client, adapter.entity, qbo_id, current["SyncToken"], unlinked_id
            )
        elif adapter.voidable:
            void_id = f"{job.request_id[:40]}-void"
            client.void(adapter.entity, qbo_id, current["SyncToken"], request_id=void_id)
        else:
            raise
    return None


def _applied_payments(document: dict) -> list[tuple[str, str]]:
    """(entity, QBO id) of the payments a document's LinkedTxn lists."""
    payment_entities = {
        sync_adapter_for(model).entity
        for model in synced_models()
        if sync_adapter_for(model).priority == PRIORITY_PAYMENT
    }
    links = [
        (LINKED_TXN_ENTITIES.get(link.get("TxnType"), link.get("TxnType")), str(link.get("TxnId")))
        for link in document.get("LinkedTxn") or []
    ]
    return [(entity, txn_id) for entity, txn_id in links if entity in payment_entities]


def _delete_linked_first(job: SyncJob, payments: list[tuple[str, str]]) -> None:
    """Run the deletes of the document's payments deleted here; name those that block it."""
    blockers = []
    for entity, txn_id in payments:
        linked_job = SyncJob.objects.filter(qbo_entity=entity, qbo_id=txn_id).first()
        if linked_job is None:
            blockers.append(f"{entity} {txn_id} was made in QuickBooks: delete it there")
            continue
        if linked_job.action != SyncJob.Action.DELETE:
            blockers.append(f"{linked_job.label} is still recorded here: delete it here")
            continue
        if linked_job.status != SyncJob.Status.SUCCEEDED:
            _run_now(linked_job)
        if linked_job.status == SyncJob.Status.FAILED:
            blockers.append(f"{linked_job.label} could not be deleted: {linked_job.last_error}")
        elif linked_job.status != SyncJob.Status.SUCCEEDED:
            raise DependencyNotSynced(
                f"Waiting for {linked_job.label} to be deleted in QuickBooks first.",
                waiting_on=linked_job,
            )
    if blockers:
        # QBO keeps its refusal of the delete for the job's requestid: the retry, once the
        # payments are gone, must be a new request or it gets the same refusal back.
        raise PushRefused(
            f"Delete the payments applied to {job.label} first, then press Retry: QuickBooks "
            f"will not delete or void it while they are applied. {'; '.join(blockers)}.",
            new_request_id=True,
        )


def _run_now(job: SyncJob) -> None:
    """Run another record's job in this worker, now; a failed one gets a fresh attempt."""
    SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.FAILED).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now()
    )
    sync_job_run(job_id=job.pk)
    job.refresh_from_db()


def _push_dependency(record: models.Model) -> None:
    job = sync_job_for(record) or sync_job_record(record=record)
    if job is None:
        raise DependencyNotSynced(f"{record} cannot reach QuickBooks: there is no connection.")
    _run_now(job)
    record.refresh_from_db(fields=["qbo_id"])
    if not record.qbo_id:
        reason = job.last_error or "it is still being pushed"
        raise DependencyNotSynced(
            f"Waiting for {record} to reach QuickBooks: {reason}", waiting_on=job
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
    if result is not None:
        job.qbo_id, job.sync_token = str(result["Id"]), str(result.get("SyncToken", ""))
    changed_meanwhile = job.revision > job.claimed_revision
    if changed_meanwhile and job.action == SyncJob.Action.DELETE and not job.qbo_id:
        _attempt_record(job, PushAttempt.Outcome.DROPPED, intuit_tid=outcome.intuit_tid)
        job.delete()  # deleted here before any of it reached QBO: nothing to delete there
        return job
    if outcome.reached_qbo:
        _attempt_record(
            job,
            PushAttempt.Outcome.SUCCEEDED,
            message=outcome.warning,
            intuit_tid=outcome.intuit_tid,
        )
    if changed_meanwhile:
        # Saved again while we pushed: send the newer version too, as an update. Or deleted
        # while we created it: delete what QBO just made, now that its Id is known.
        job.status = SyncJob.Status.PENDING
        job.request_id = new_request_id()
        job.attempts = 0
        transaction.on_commit(lambda: sync_job_enqueue(job_id=job.pk))
    else:
        job.status = SyncJob.Status.SUCCEEDED
        job.succeeded_at = now
    job.last_error = job.last_error_code = ""
    job.warning = without_nul(outcome.warning)
    job.remote_change, job.remote_changed_at = "", None  # QBO now holds our version
    job.remote_fingerprint = {}
    if outcome.sent is not None:
        job.sent_fingerprint = sync_adapter_for(model).fingerprint(outcome.sent)
    job.waiting_on = None
    _wake_waiters(job)  # the record now has its QBO id, so what references it can go
    job.next_attempt_at = now
    job.save()
    push_problems_close()
    return job


def _fail(job: SyncJob, failure: OutboxError, *, intuit_tid: str | None) -> SyncJob:
    """Record a failure by the contract: back off and retry, pause, or fail for the user."""
    waiting_on = getattr(failure, "waiting_on", None)
    if isinstance(failure, RetryLater) and job.attempts < MAX_RETRIABLE_ATTEMPTS:
        job = _finish(
            job,
            status=SyncJob.Status.PENDING,
            failure=failure,
            intuit_tid=intuit_tid,
            error=f"Nothing to do here; it is retried automatically: {failure}",
            next_attempt_at=timezone.now() + _backoff(job.attempts, failure.retry_after),
        )
    elif isinstance(failure, ConnectionPaused):
        connection_pause(reason=str(failure))
        job = _finish(job, status=SyncJob.Status.PAUSED, failure=failure, intuit_tid=intuit_tid)
    elif isinstance(failure, RetryLater):
        job = _finish(
            job,
            status=SyncJob.Status.FAILED,
            failure=failure,
            intuit_tid=intuit_tid,
            error=(
                f"Press Retry to try again (it was tried {counted(job.attempts, 'time')}): "
                f"{failure}"
            ),
        )
    else:
        job = _finish(job, status=SyncJob.Status.FAILED, failure=failure, intuit_tid=intuit_tid)
    if job.status == SyncJob.Status.FAILED:
        push_problem_open(job=job)
    if waiting_on and _has_reached_qbo(waiting_on):
        _wake_waiters(waiting_on)  # it finished between our look and our wait
    return job


def _finish(
    job: SyncJob,
    *,
    status: str,
    failure: OutboxError,
    intuit_tid: str | None,
    error: str = "",
    next_attempt_at=None,
) -> SyncJob:
    update = {
        "status": status,
        # Errors quote what QBO sent; a NUL in it would leave the job "running" on PostgreSQL.
        "last_error": without_nul(error or str(failure)),
        "last_error_code": failure.code,
        "waiting_on": getattr(failure, "waiting_on", None),
        "updated_at": timezone.now(),
    }
    _attempt_record(
        job,
        ATTEMPT_OUTCOMES[status],
        error_code=failure.code,
        message=update["last_error"],
        intuit_tid=intuit_tid,
    )
    if failure.new_request_id:
        update["request_id"] = new_request_id()
    if next_attempt_at is not None:
        update["next_attempt_at"] = next_attempt_at
    SyncJob.objects.filter(pk=job.pk).update(**update)
    logger.warning("QBO push of %s: %s (%s)", job.label, status, update["last_error"])
    job.refresh_from_db()
    return job


def _deleted_before_created(job: SyncJob) -> bool:
    """Whether the record was deleted here while this run was creating it in QBO."""
    return job.action == SyncJob.Action.UPSERT and (
        SyncJob.objects.filter(pk=job.pk, action=SyncJob.Action.DELETE, qbo_id="").exists()
    )


def _abandon_create(job: SyncJob, exc: Exception, *, intuit_tid: str | None) -> SyncJob | None:
    """A create that failed for a record deleted meanwhile: drop the job, or ask the user to
    look in QBO when QBO may have made it without saying so."""
    if not _may_have_written(exc):
        _attempt_record(job, PushAttempt.Outcome.DROPPED, message=str(exc), intuit_tid=intuit_tid)
        SyncJob.objects.filter(pk=job.pk).delete()  # nothing reached QBO: nothing to undo
        return None
    failure = push_failure(exc, label=job.label)
    return _finish(
        job,
        status=SyncJob.Status.FAILED,
        intuit_tid=intuit_tid,
        failure=UserMustAct(
            f"Look for {job.label} in QuickBooks and delete it there if it is there, then press "
            "Retry to clear this: it was deleted here while QuickBooks was creating it, and "
            f"QuickBooks never said whether it did ({failure})",
            code=failure.code,
        ),
    )


# --- batches -----------------------------------------------------------------------------------


def _in_backlog() -> bool:
    due = SyncJob.objects.filter(status=SyncJob.Status.PENDING, next_attempt_at__lte=timezone.now())
    return due[: BACKLOG_JOBS + 1].count() > BACKLOG_JOBS


def _batchable(job: SyncJob, context: PushContext) -> _Write | None:
    """The write a job's push would make, when it can go in a batch: a create or update of a
    document or payment whose references are all in QBO already. Anything else goes on its own:
    a delete, a name (looked up in QBO before its first create), a payment whose invoice has no
    QBO id yet (it goes in a later batch), or a record whose payload fails (it fails its own
    push, by the error contract)."""
    model = job.content_type.model_class()
    adapter = sync_adapter_for(model)
    try:
        record = model._default_manager.filter(pk=job.object_id).first()
        if record is None or not adapter.wants_push(record):
            return None
        if any(not dependency.qbo_id for dependency in adapter.dependencies(record)):
            return None
        body = adapter.payload(record, context=context)
    except Exception:  # noqa: BLE001 - pushed on its own, the same error is recorded for the user
        return None
    return _Write(model, record, body, record.qbo_id, record.sync_token)


def _batch_operation(job: SyncJob, write: _Write) -> dict:
    """The job's BatchItemRequest item, as JSON stores it (amounts as numbers, as sent)."""
    body = write.body
    if write.qbo_id:
        body = {**body, "Id": write.qbo_id, "SyncToken": write.sync_token, "sparse": True}
    operation = {
        "bId": str(job.pk),
        "operation": "update" if write.qbo_id else "create",
        job.qbo_entity: body,
    }
    return json.loads(json.dumps(operation, default=float))


def _batch_compose(*, first_job_id: int) -> SyncBatch | None:
    """Claim up to 30 due jobs that can go together, led by `first_job_id` when it can, and
    store the batch (its operations and requestid) before anything is sent."""
    context = _push_context()
    now = timezone.now()
    with transaction.atomic():
        # Other workers composing at once skip these rows instead of waiting for them.
        candidates = (
            SyncJob.objects.select_for_update(skip_locked=True)
            .select_related("content_type")
            .filter(
                status=SyncJob.Status.PENDING,
                next_attempt_at__lte=now,
                batch__isnull=True,
                action=SyncJob.Action.UPSERT,
                priority__gte=PRIORITY_DOCUMENT,
            )
            .order_by(Case(When(pk=first_job_id, then=0), default=1), "priority", "pk")
        )
        chosen = []
        for job in candidates[:BATCH_CANDIDATES]:
            if len(chosen) == MAX_BATCH_SIZE:
                break
            if write := _batchable(job, context):
                chosen.append((job, write))
        if len(chosen) < BATCH_MIN_OPERATIONS:
            return None
        batch = SyncBatch.objects.create(
            request_id=new_request_id(), operations=[], attempts=1, sending_since=now
        )
        operations = []
        for job, write in chosen:
            # The revision read here is the one the payload was built from: a save since then
            # sends the job round again after the batch.
            claimed = SyncJob.objects.filter(
                pk=job.pk, status=SyncJob.Status.PENDING, batch__isnull=True, revision=job.revision
            ).update(
                status=SyncJob.Status.RUNNING,
                batch=batch,
                started_at=now,
                attempts=F("attempts") + 1,
                claimed_revision=job.revision,
                updated_at=now,
            )
            if claimed:
                operations.append(_batch_operation(job, write))
        if not operations:
            batch.delete()
            return None
        batch.operations = operations
        batch.save(update_fields=["operations"])
    return batch


def _batch_resend(*, batch_id: int, job_id: int, client: QboClient | None) -> SyncJob | None:
    """A due job of a batch that went out unanswered: send the same batch again, with the same
    requestid, so QBO answers what it did instead of doing it twice."""
    now = timezone.now()
    due = SyncJob.objects.filter(
        pk=job_id, batch_id=batch_id, status=SyncJob.Status.PENDING, next_attempt_at__lte=now
    )
    if not due.exists():
        return None
    with transaction.atomic():
        claimed = (
            SyncBatch.objects.filter(pk=batch_id)
            .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=now - STALE_RUN))
            .update(sending_since=now, attempts=F("attempts") + 1)
        )
        if not claimed:
            return None  # another worker is sending it
        # Each job's claimed revision stays the one its operation was built from.
        SyncJob.objects.filter(batch_id=batch_id).update(
            status=SyncJob.Status.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    try:
        client = client or qbo_client()
    except QboNotConnectedError as exc:
        _batch_unanswered(SyncBatch.objects.get(pk=batch_id), exc)
    else:
        _batch_deliver(SyncBatch.objects.get(pk=batch_id), client)
    return SyncJob.objects.filter(pk=job_id).first()


def _batch_dissolve(batch: SyncBatch) -> None:
    """A batch never sent: its jobs are due again, as they were, and it is gone."""
    with transaction.atomic():
        SyncJob.objects.filter(batch=batch).update(
            status=SyncJob.Status.PENDING,
            batch=None,
            attempts=F("attempts") - 1,
            updated_at=timezone.now(),
        )
        batch.delete()


def _batch_deliver(batch: SyncBatch, client: QboClient, *, room_taken: bool = False) -> None:
    """Send a stored batch, then take each item's answer as its job's own push would."""
    try:
        answers = client.batch(batch.operations, request_id=batch.request_id, room_taken=room_taken)
    except Exception as exc:  # noqa: BLE001 - recorded on every job of the batch
        _batch_unanswered(batch, exc)
        return
    jobs = _batch_jobs(batch)
    for operation, answer in zip(batch.operations, answers, strict=True):
        if job := jobs.get(int(operation["bId"])):
            _batch_item_settle(job, operation, answer, client)
    _batch_close(batch)


def _batch_jobs(batch: SyncBatch) -> dict[int, SyncJob]:
    jobs = SyncJob.objects.filter(batch=batch).select_related("content_type")
    return {job.pk: job for job in jobs}


def _batch_item_settle(job: SyncJob, operation: dict, answer, client: QboClient) -> None:
    """Take a batch item's answer exactly as the job's push takes its first write's answer."""
    # The job ran as the upsert it was batched as; a delete since is read from the database.
    job.action = SyncJob.Action.UPSERT
    model = job.content_type.model_class()
    sent = operation[job.qbo_entity]
    write = _Write(
        model,
        model._default_manager.filter(pk=job.object_id).first(),
        {key: value for key, value in sent.items() if key not in ("Id", "SyncToken", "sparse")},
        sent.get("Id", ""),
        sent.get("SyncToken", ""),
    )
    try:
        outcome = _deliver(job, client, write, _BatchAnswer(answer))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded; none strands the job
        with transaction.atomic():
            _settle_failure(job, exc)
            SyncJob.objects.filter(pk=job.pk).update(batch=None)
        return
    with transaction.atomic():
        _succeed(job, replace(outcome, intuit_tid=client.last_intuit_tid))
        SyncJob.objects.filter(pk=job.pk).update(batch=None)


def _batch_unanswered(batch: SyncBatch, exc: Exception) -> None:
    """A batch that got no answer of QBO's own to its items."""
    failure = push_failure(exc, label=str(batch))
    jobs = _batch_jobs(batch)
    if failure.new_request_id:
        # QBO refused the batch as a whole (HTTP 400): it did none of it, and would refuse the
        # same requestid again. Each job takes the refusal as its own push would, and is free.
        for job in jobs.values():
            job.action = SyncJob.Action.UPSERT
            with transaction.atomic():
                _settle_failure(job, exc)
                SyncJob.objects.filter(pk=job.pk).update(batch=None)
        _batch_close(batch)
        return
    # No answer, or not QBO's to the write (a 429, a 5xx, a timeout): QBO may have done any of
    # it. Each job backs off (or pauses, or fails after ten tries) by the contract but keeps
    # the batch, so whichever runs first resends it, same requestid, and QBO replays its answer.
    intuit_tid = getattr(exc, "intuit_tid", None)
    for job in jobs.values():
        _fail(job, failure, intuit_tid=intuit_tid)
    SyncBatch.objects.filter(pk=batch.pk).update(sending_since=None)


def _batch_close(batch: SyncBatch) -> None:
    """Every job took its answer: the batch is done."""
    if SyncJob.objects.filter(batch=batch).exists():
        SyncBatch.objects.filter(pk=batch.pk).update(sending_since=None)
    else:
        batch.delete()


ATTEMPT_OUTCOMES = {
    SyncJob.Status.PENDING: PushAttempt.Outcome.RETRYING,
    SyncJob.Status.PAUSED: PushAttempt.Outcome.PAUSED,
    SyncJob.Status.FAILED: PushAttempt.Outcome.FAILED,
}


def _attempt_record(
    job: SyncJob, outcome: str, *, intuit_tid: str | None, error_code: str = "", message: str = ""
) -> None:
    """Keep this run of the job in the push history: one insert, from what the job holds."""
    PushAttempt.objects.create(
        # A job about to be deleted keeps no link: its attempts outlive it, named by label.
        job=None if outcome == PushAttempt.Outcome.DROPPED else job,
        content_type_id=job.content_type_id,
        object_id=job.object_id,
        label=job.label,
        qbo_entity=job.qbo_entity,
        action=job.action,
        started_at=job.started_at or timezone.now(),
        finished_at=timezone.now(),
        outcome=outcome,
        error_code=error_code,
        message=without_nul(message),
        request_id=job.request_id,
        intuit_tid=without_nul(intuit_tid or "")[:TID_CHARS],
    )


def _may_have_written(exc: Exception) -> bool:
    """Whether QBO may have done what was sent, though its answer never arrived."""
    if isinstance(exc, QboError):
        return isinstance(exc, QboTransportError | QboServerError | QboMalformedResponseError)
    return not isinstance(exc, OutboxError)


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    seconds = random.uniform(ceiling / 2, ceiling)  # noqa: S311
    if retry_after is not None and math.isfinite(retry_after):
        # QBO's wait is honoured up to the cap: no answer may park a job out of reach.
        seconds = max(seconds, min(retry_after, BACKOFF_CAP_SECONDS))
    return timedelta(seconds=seconds)


# What the user does about a refusal of the record, by QBO fault code; each leads with the act.
ADVICE = {
    "6240": "Rename one of the two records, then press Retry: another QuickBooks record "
    "already has this name.",
    "610": "Choose another record, or make it active again in QuickBooks, then press Retry: a "
    "record this one refers to was deleted or made inactive there.",
    "2500": "Choose another record, or make it active again in QuickBooks, then press Retry: a "
    "record this one refers to is missing or inactive there.",
    "6140": "Give this record a number no other QuickBooks transaction uses (or renumber the one "
    "the message names in QuickBooks), then press Retry: QuickBooks refuses a number twice.",
    "6540": "In QuickBooks, undo the deposit first, then press Retry: the payment was "
    "deposited there.",
    # 6200 and 6210 (a password guards the closing date) per Intuit's error-codes page.
    "6200": "Reopen the period in QuickBooks (Settings → Account and settings → Advanced → "
    "Close the books), or give this record a date after the closing date, then press Retry: "
    "its date falls in a period whose books are closed in QuickBooks.",
}
ADVICE["6210"] = ADVICE["6200"]
FIX_AND_RETRY = "Fix the record as QuickBooks says, then press Retry."
# Refusals of the whole connection: every push pauses until the user reconnects.
CONNECTION_ADVICE = {
    "120": "Reconnect to QuickBooks signed in as an admin user of the company: the user who "
    "connected is no longer an admin there, or was removed. Pushes wait until then.",
    "3100": "Reconnect to QuickBooks signed in as an admin user of the company: QuickBooks "
    "refused this app access to it. Pushes wait until then.",
    "6190": "Renew the QuickBooks subscription (in QuickBooks: Settings → Account and settings "
    "→ Billing & subscription), then reconnect to QuickBooks: QuickBooks takes no new data "
    "while the subscription has ended or has a billing problem. Pushes wait until then.",
}
