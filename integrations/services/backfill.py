"""Backfill: the documents QBO does not have yet, from a start date on, queued in one go.

Made for the history a distributor has before connecting: every document dated on or after
the start date with no QBO id and no job in the outbox is queued, with the customers, vendors
and items it references that QBO lacks too, in dependency order. The outbox sends them as it
sends any job; the backfill only keeps which jobs are its own, so it can count them, hold
those not yet sent (stop) and make them due again (resume).
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from integrations.models import Backfill, QboConnection, SyncJob
from integrations.outbox.errors import OutboxError
from integrations.outbox.jobs import sync_jobs_hold, sync_jobs_record_new, sync_jobs_release
from integrations.outbox.registry import sync_adapter_for, synced_models
from integrations.qbo.client import MAX_BATCH_REQUESTS_PER_MINUTE, MAX_BATCH_SIZE
from integrations.qbo.ratelimit import RateLimiter
from integrations.selectors import sync_job_for

# The order of the queue: what is referenced before what references it (the outbox pushes a
# missing reference first anyway; in this order it rarely has to). Credits go last: QBO may
# apply a customer's open credit to the next invoice made for them by itself
# (SalesFormsPrefs.AutoApplyCredit), and Intuit does not say whether it does so for invoices
# made through the API (sandbox README, "Backfill").
QUEUE_ORDER = [
    "Customer",
    "Vendor",
    "Item",
    "Invoice",
    "Bill",
    "Payment",
    "BillPayment",
    "CreditMemo",
    "VendorCredit",
]
# The rate a backfill is measured at: the documents sent over at most this last stretch.
RATE_WINDOW = timedelta(minutes=1)
UNFINISHED = [
    SyncJob.Status.PENDING,
    SyncJob.Status.RUNNING,
    SyncJob.Status.PAUSED,
    SyncJob.Status.HELD,
]


class BackfillError(Exception):
    """A backfill cannot start or change now; the message says what to do."""


@dataclass(frozen=True)
class BackfillPlan:
    """What a backfill from `since` queues, in the order it queues it."""

    since: date
    # The records to write a job for, and the jobs written while the plan was worked out.
    records: list[models.Model]
    made: list[SyncJob] = field(default_factory=list)
    # Per QBO entity, in queue order; `lookups` counts the names QBO is asked for by name first.
    counts: dict[str, int] = field(default_factory=dict)
    lookups: int = 0

    @property
    def total(self) -> int:
        return len(self.records) + len(self.made)


@dataclass(frozen=True)
class Estimate:
    """How long `jobs` pushes take at QBO's limits: one request each, or in batches."""

    jobs: int
    requests: int
    per_minute: int
    batch_size: int
    batches_per_minute: int

    @property
    def single(self) -> timedelta:
        return timedelta(minutes=self.requests / self.per_minute)

    @property
    def batched(self) -> timedelta:
        """The documents in batches; the lookups by name go on beside them, one request each."""
        batches = math.ceil(self.jobs / self.batch_size) / self.batches_per_minute
        return timedelta(minutes=max(batches, (self.requests - self.jobs) / self.per_minute))


def backfill_estimate(*, jobs: int, lookups: int) -> Estimate:
    """The time `jobs` pushes (`lookups` of them names looked up first) take at QBO's limits."""
    return Estimate(
        jobs=jobs,
        requests=jobs + lookups,
        per_minute=RateLimiter().per_minute,
        batch_size=MAX_BATCH_SIZE,
        batches_per_minute=MAX_BATCH_REQUESTS_PER_MINUTE,
    )


def _has_job(model: type[models.Model]) -> Exists:
    return Exists(
        SyncJob.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=Cast(OuterRef("pk"), CharField()),
        )
    )


def _unsent_references(documents: list[models.Model]) -> tuple[list[models.Model], list[SyncJob]]:
    """What the documents reference (and that references) that QBO lacks and no job holds.

    A tax's own item may be made here while its invoice's references are worked out, and its
    save writes it a job: that job is returned too, to be the backfill's.
    """
    working_since = timezone.now()
    seen = {(type(record), record.pk) for record in documents}
    referenced, made, unsent = [], [], list(documents)
    while unsent:
        record = unsent.pop(0)
        try:
            dependencies = sync_adapter_for(type(record)).dependencies(record)
        except OutboxError:
            continue  # the document's own push says what is wrong (or waits), as it would
        for dependency in dependencies:
            key = (type(dependency), dependency.pk)
            if key in seen or dependency.qbo_id:
                continue
            seen.add(key)
            job = sync_job_for(dependency)
            if job is None:
                referenced.append(dependency)
            elif job.created_at >= working_since:
                made.append(job)
            else:
                continue  # the outbox has it already
            unsent.append(dependency)
    return referenced, made


def _queue_rank(record: models.Model) -> int:
    return QUEUE_ORDER.index(sync_adapter_for(type(record)).entity)


def backfill_plan(*, since: date) -> BackfillPlan:
    """The documents dated on or after `since` that QBO has not got and the outbox does not
    hold, with what they reference that QBO lacks too, in QUEUE_ORDER.

    Working out a document's references may make a tax's own item here (as its push would):
    run it in a transaction rolled back to leave nothing behind.
    """
    documents = []
    for model in synced_models():
        adapter = sync_adapter_for(model)
        if adapter.ledger is None:
            continue  # names have no date: they go with the documents that reference them
        date_field = adapter.ledger.date
        documents += adapter.in_books(
            model._default_manager.filter(**{f"{date_field}__gte": since}, qbo_id="")
            .exclude(_has_job(model))
            .prefetch_related(*adapter.dependency_prefetch)
            .order_by(date_field, "pk")
        )
    referenced, made = _unsent_references(documents)
    records = sorted([*referenced, *documents], key=_queue_rank)  # stable: dates stay in order
    entities = [sync_adapter_for(type(record)).entity for record in records]
    entities += [job.qbo_entity for job in made]
    counts = {
        entity: entities.count(entity) for entity in sorted(set(entities), key=QUEUE_ORDER.index)
    }
    lookups = sum(1 for record in records if sync_adapter_for(type(record)).looks_up_before_create)
    return BackfillPlan(since=since, records=records, made=made, counts=counts, lookups=lookups)


def backfill_preview(*, since: date) -> BackfillPlan:
    """What a backfill from `since` would queue, leaving nothing behind (`--dry-run`)."""
    with transaction.atomic():
        plan = backfill_plan(since=since)
        transaction.set_rollback(True)
    return plan


def backfill_current() -> Backfill | None:
    """The latest backfill, running, stopped or done."""
    return Backfill.objects.first()


def backfill_start(*, since: date, user=None) -> Backfill | None:
    """Queue every document from `since` on that QBO lacks; None when there is nothing to queue.

    Refused while QuickBooks is not connected, and while an earlier backfill has work left
    (resume or wait for it: two would count each other's jobs).
    """
    with transaction.atomic():
        # Locked: two starts at once would each queue the same documents' jobs.
        connection = QboConnection.objects.select_for_update().filter(pk=QboConnection.SINGLETON_ID)
        if getattr(connection.first(), "status", None) != QboConnection.Status.CONNECTED:
            raise BackfillError("Connect to QuickBooks first, then start the backfill.")
        if (current := backfill_current()) is not None and backfill_progress(current).left:
            raise BackfillError(
                f"{'Resume' if current.state == Backfill.State.STOPPED else 'Wait for'} the "
                f"backfill since {current.since:%Y-%m-%d} first: it still has documents to send."
            )
        plan = backfill_plan(since=since)
        if not plan.total:
            return None
        backfill = Backfill.objects.create(since=since, started_by=user, queued=plan.counts)
        backfill.jobs.add(*plan.made, *sync_jobs_record_new(records=plan.records))
    return backfill


def backfill_stop(*, backfill: Backfill) -> int:
    """Hold the backfill's jobs not yet sent (those running finish); how many were held."""
    with transaction.atomic():
        Backfill.objects.filter(pk=backfill.pk).update(
            state=Backfill.State.STOPPED, stopped_at=timezone.now()
        )
        held = sync_jobs_hold(jobs=backfill.jobs.all())
    backfill.refresh_from_db()
    return held


def backfill_resume(*, backfill: Backfill) -> int:
    """Make the backfill's held jobs due again, in the order they were queued; how many."""
    with transaction.atomic():
        Backfill.objects.filter(pk=backfill.pk).update(
            state=Backfill.State.RUNNING, stopped_at=None, running_since=timezone.now()
        )
        released = sync_jobs_release(jobs=backfill.jobs.order_by("pk"))
    backfill.refresh_from_db()
    return released


@dataclass(frozen=True)
class BackfillProgress:
    """Where a backfill stands, from its jobs: done, failed and left, and the time still to go."""

    backfill: Backfill
    done: int
    failed: int
    left: int
    held: int
    # Documents a minute over the last minute it ran; None before any was sent in it.
    rate: float | None
    # The time still to go: at the rate measured, or before there is one at QBO's limits.
    remaining: timedelta | None
    measured: bool

    @property
    def total(self) -> int:
        return self.done + self.failed + self.left

    @property
    def percent(self) -> int:
        """How much has been settled (sent or failed), in whole percent."""
        return 100 if not self.total else (self.done + self.failed) * 100 // self.total

    @property
    def finished(self) -> bool:
        return not self.left

    @property
    def state(self) -> str:
        """Done, Stopped or Running, as the page and the command say it."""
        if self.finished:
            return "Done"
        return self.backfill.get_state_display()


def backfill_progress(backfill: Backfill) -> BackfillProgress:
    """Count the backfill's jobs, and estimate what is left from the rate measured now."""
    jobs = backfill.jobs.all()
    counts = dict(jobs.values_list("status").annotate(n=models.Count("pk")).order_by())
    left = sum(counts.get(status, 0) for status in UNFINISHED)
    now = timezone.now()
    since = max(now - RATE_WINDOW, backfill.running_since)
    window = (now - since).total_seconds() / 60
    recent = jobs.filter(status=SyncJob.Status.SUCCEEDED, succeeded_at__gte=since).count()
    rate = recent / window if recent and window > 0 else None
    if backfill.state != Backfill.State.RUNNING or not left:
        remaining = None
    elif rate:
        remaining = timedelta(minutes=left / rate)
    else:
        remaining = backfill_estimate(jobs=left, lookups=0).single
    return BackfillProgress(
        backfill=backfill,
        done=counts.get(SyncJob.Status.SUCCEEDED, 0),
        failed=counts.get(SyncJob.Status.FAILED, 0),
        left=left,
        held=counts.get(SyncJob.Status.HELD, 0),
        rate=rate,
        remaining=remaining,
        measured=rate is not None,
    )


def duration_words(duration: timedelta) -> str:
    """A duration as people read it on a progress bar: "45 s", "12 min 05 s", "3 h 20 min"."""
    seconds = math.ceil(duration.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
