"""The change pipeline: what changed in QBO, pulled by one CDC read and applied here.

Every trigger runs the same pass: the hourly schedule, a webhook, *Sync now*, `manage.py
qbo_sync_items`, a push that met an item inactive in QBO, and the import after connecting.
One CDC read covers the mirrored name lists (Item, Account, Class) and every document type
the product pushes; its answer's `time` is the one watermark the next pass starts from.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from integrations.models import QboConnection, SyncRun
from integrations.qbo.client import QboClient
from integrations.qbo.errors import QboCdcTruncatedError
from integrations.services.connection import connection_get, qbo_client
from integrations.services.default_items import default_items_ensure
from integrations.services.items import (
    MIRRORED_ENTITIES,
    Progress,
    items_import,
    items_summary,
    mirror_changes_apply,
)
from integrations.services.mirror import company_mirror_refresh, company_preferences_import
from integrations.services.remote_changes import (
    documents_changes_by_type,
    documents_flag,
    transaction_entities,
)
from integrations.services.runs import sync_run, sync_run_note
from integrations.services.webhooks import (
    webhook_events_release,
    webhook_events_take,
)

logger = logging.getLogger(__name__)

# QBO's CDC looks back 30 days at most; the hour spares a QBO clock running ahead of ours.
CDC_MAX_WINDOW = timedelta(days=30) - timedelta(hours=1)
# Each CDC read reaches back before the watermark, so a change that QBO stamped a little
# before it (a slow commit at Intuit) is still seen. Replays are harmless: the mirror skips
# rows whose SyncToken it holds, and the documents' check skips our own writes.
CDC_OVERLAP = timedelta(minutes=10)
# A claim this old belongs to a worker that died mid-pass (django-q kills a task at 120 s).
CLAIM_STALE_AFTER = timedelta(hours=1)
# Preferences are no CDC entity we can rely on (integrations/sandbox/README.md, "Changes from
# QuickBooks"): they are read when something suggests they changed, and at least this often.
PREFERENCES_MAX_AGE = timedelta(days=1)
# Someone pressed a button or ran the command: everything, preferences included, is read.
ASKED_FOR = {SyncRun.Trigger.SYNC_NOW, SyncRun.Trigger.COMMAND}


@dataclass
class PulledChanges:
    """What QBO changed since the watermark, by entity, and when QBO answered."""

    rows: dict[str, list] = field(default_factory=dict)
    answered_at: datetime | None = None
    # Why the name lists' rows are not all that changed: they are then reconciled in full.
    incomplete: str = ""


def change_entities() -> list[str]:
    """Every entity the one CDC read asks for: the mirrored lists and the pushed documents."""
    return [*MIRRORED_ENTITIES, *transaction_entities()]


def changes_sync_run(
    *,
    full: bool = False,
    progress: Progress | None = None,
    trigger: str = SyncRun.Trigger.HOURLY,
    connect_run_id: int | None = None,
) -> SyncRun | None:
    """Take in what changed in QBO: one CDC read applied to the mirror and the pushed
    documents, or a full reconcile of the lists when CDC cannot serve.

    One worker runs it at a time. Asked for while another runs it, it leaves its trigger for
    that worker, which runs once more when it is done (so a burst of asks costs one more
    pass, not one each), and returns the run going, if there is one to show.
    """
    connection_get()  # the row the claim lives on
    if not _pipeline_claim(trigger):
        return SyncRun.objects.filter(
            kind__in=[SyncRun.Kind.CHANGES, SyncRun.Kind.ITEMS_FULL], status=SyncRun.Status.RUNNING
        ).first()
    try:
        while True:
            run = _changes_pass(
                full=full, progress=progress, trigger=trigger, connect_run_id=connect_run_id
            )
            rerun = _pipeline_release()
            if not rerun:
                return run
            full, trigger, connect_run_id = False, rerun, None
    except BaseException:
        QboConnection.objects.filter(pk=QboConnection.SINGLETON_ID).update(
            changes_claimed_at=None, changes_pending=""
        )
        raise


def changes_pull(*, run: SyncRun, client: QboClient, since: datetime) -> PulledChanges:
    """One CDC read for every entity the product cares about.

    An answer at QBO's cap of 1000 objects (all entities together) may have left changes out:
    the documents are then asked for type by type (and a type at the cap by itself is read by
    Id), and the lists are marked incomplete, for a full reconcile.
    """
    try:
        answer = client.cdc(change_entities(), since)
    except QboCdcTruncatedError as capped:
        sync_run_note(
            run,
            event="capped",
            always=True,
            text=f"{capped.message}: the documents are asked for type by type, and the items, "
            "accounts and classes are reconciled in full.",
        )
        rows = documents_changes_by_type(run=run, client=client, since=since)
        return PulledChanges(rows=rows, answered_at=capped.answered_at, incomplete=capped.message)
    return PulledChanges(rows=answer.changes, answered_at=answer.answered_at)


def changes_apply(*, run: SyncRun, changes: PulledChanges, lists: bool) -> None:
    """Flag the pushed documents edited or deleted in QBO, and, with `lists`, take the items,
    accounts and classes into the mirror (else a full reconcile brings them)."""
    if lists:
        mirror_changes_apply(run=run, changes=changes.rows)
    documents_flag(run=run, changes=changes.rows)


def company_import_after_connect(*, run_id: int | None = None) -> SyncRun | None:
    """Right after a connect: the company, its accounts and classes, then every item."""
    return changes_sync_run(full=True, trigger=SyncRun.Trigger.CONNECT, connect_run_id=run_id)


def _changes_pass(
    *, full: bool, progress: Progress | None, trigger: str, connect_run_id: int | None
) -> SyncRun:
    connection = connection_get()
    client = qbo_client()
    reconcile = "asked for" if full else _reconcile_reason(connection)
    since = _since(connection)
    started = timezone.now()
    run = None
    try:
        with sync_run(SyncRun.Kind.CHANGES, trigger=trigger) as run:
            # Taken before the read, so every event taken is covered by it.
            events = webhook_events_take(run=run)
            changes = changes_pull(run=run, client=client, since=since)
            reconcile = reconcile or changes.incomplete
            changes_apply(run=run, changes=changes, lists=not reconcile)
            if reconcile:
                sync_run_note(run, event="reconcile", text=f"Full reconcile follows: {reconcile}.")
            else:
                run.details.extend(default_items_ensure(client=client))
                if why := _preferences_due(connection, trigger, events, run):
                    logger.info("Reading QuickBooks' preferences: %s", why)
                    company_preferences_import(client=client)
            run.message = _summary(run)
        last = run
        if reconcile:
            company_mirror_refresh(
                kind=SyncRun.Kind.CONNECT if connect_run_id else SyncRun.Kind.ACCOUNTS,
                trigger=trigger,
                run_id=connect_run_id,
            )
            last = items_import(
                client=client,
                progress=progress,
                reason=f"Full reconcile: {reconcile}",
                trigger=trigger,
            )
    except BaseException:
        if run is not None:
            webhook_events_release(run=run)  # the next pass (or the hourly one) takes them
        raise
    # Moved only once everything up to QBO's answer is in: a pass that fails reads it again.
    QboConnection.objects.filter(pk=QboConnection.SINGLETON_ID).update(
        changes_watermark=changes.answered_at or started
    )
    return last


def _pipeline_claim(trigger: str) -> bool:
    """Take the pipeline for this worker; False (with `trigger` left for the worker that has
    it) when another has it. Each step is one conditional UPDATE, atomic on any database."""
    row = QboConnection.objects.filter(pk=QboConnection.SINGLETON_ID)
    while True:
        now = timezone.now()
        stale = now - CLAIM_STALE_AFTER
        free = Q(changes_claimed_at__isnull=True) | Q(changes_claimed_at__lt=stale)
        if row.filter(free).update(changes_claimed_at=now, changes_pending=""):
            return True
        if row.filter(changes_claimed_at__isnull=False).update(changes_pending=trigger):
            logger.info("Changes from QuickBooks: a pass is going; it runs once more after")
            return False
        # Released between the two statements: try to take it again.


def _pipeline_release() -> str:
    """Let the pipeline go, or, when a pass was asked for meanwhile, the trigger to run for."""
    row = QboConnection.objects.filter(pk=QboConnection.SINGLETON_ID)
    if row.filter(changes_pending="").update(changes_claimed_at=None):
        return ""
    rerun = row.values_list("changes_pending", flat=True).get()
    row.update(changes_pending="", changes_claimed_at=timezone.now())
    return rerun


def _reconcile_reason(connection: QboConnection) -> str:
    """Why one CDC read cannot bring the lists up to date ("" when it can)."""
    if connection.items_full_synced_at is None or connection.changes_watermark is None:
        return "the items were never fully imported"
    if timezone.now() - (connection.changes_watermark - CDC_OVERLAP) >= CDC_MAX_WINDOW:
        return "the last sync is older than QuickBooks' 30-day change window"
    return ""


def _since(connection: QboConnection) -> datetime:
    """Where the CDC read starts: the watermark less the overlap, within QBO's window. Never
    synced (the first connect) there is nothing to catch up: the lists are imported in full."""
    now = timezone.now()
    if connection.changes_watermark is None:
        return now - CDC_OVERLAP
    return max(connection.changes_watermark - CDC_OVERLAP, now - CDC_MAX_WINDOW)


def _preferences_due(
    connection: QboConnection, trigger: str, events: set[str], run: SyncRun
) -> str:
    """Why this pass reads the Preferences ("" when it need not): one read more than the CDC."""
    if trigger in ASKED_FOR:
        return "asked for"
    if "Preferences" in events:
        return "a webhook said they changed"
    # Webhooks announce a Preferences change themselves (Intuit's entity table lists it), so a
    # pass they started reads them only when told; the hourly pass guesses from other changes.
    busy = run.created or run.updated or run.removed or _flagged(run)
    if busy and trigger != SyncRun.Trigger.WEBHOOK:
        return "someone is at work in QuickBooks"
    read = connection.preferences_read_at
    if read is None or timezone.now() - read >= PREFERENCES_MAX_AGE:
        return "not read for a day"
    return ""


def _flagged(run: SyncRun) -> int:
    return sum(1 for note in run.details if note["event"] == "changed_in_qbo")


def _summary(run: SyncRun) -> str:
    flagged = _flagged(run)
    summary = items_summary(run)
    return f"{summary}; {flagged} changed in QuickBooks" if flagged else summary
