"""One-way sync: documents edited or deleted in QBO are flagged here, never pulled back."""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import QboConnection, SyncJob, SyncRun
from integrations.outbox.registry import PRIORITY_NAME, sync_adapter_for, synced_models
from integrations.services.connection import qbo_client
from integrations.services.mirror import company_preferences_import
from integrations.services.runs import sync_run, sync_run_note, sync_run_progress

logger = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)
CDC_LOOKBACK_LIMIT = timedelta(days=30) - timedelta(minutes=5)
CDC_CAP = 1000


def transaction_entities() -> list[str]:
    """The QBO transaction types this product pushes (name lists are not watched)."""
    entities = {
        sync_adapter_for(model).entity
        for model in synced_models()
        if sync_adapter_for(model).priority != PRIORITY_NAME
    }
    return sorted(entities)


def transactions_cdc_check() -> SyncRun:
    """One CDC call over the pushed transaction types; flag what changed in QBO, change nothing."""
    connection = QboConnection.objects.get()
    now = timezone.now()
    since = (connection.transactions_cdc_watermark or now - timedelta(days=1)) - OVERLAP
    since = max(since, now - CDC_LOOKBACK_LIMIT)
    client = qbo_client()
    with sync_run(SyncRun.Kind.TRANSACTIONS_CDC) as run:
        changes = client.cdc(transaction_entities(), since)
        for entity, objects in changes.items():
            if len(objects) >= CDC_CAP:
                sync_run_note(
                    run,
                    event="capped",
                    always=True,
                    text=f"More than {CDC_CAP} {entity} changes: some edits may not be flagged.",
                )
            _flag(run, entity, objects)
        QboConnection.objects.filter(pk=connection.pk).update(transactions_cdc_watermark=now)
        # Then the preferences the next pushes follow (sales tax, numbers): CDC reports none,
        # and the documents just compared were sent under the ones read before.
        company_preferences_import(client=client)
    return run


def _flag(run: SyncRun, entity: str, objects: list[dict]) -> None:
    by_id = {str(obj["Id"]): obj for obj in objects if obj.get("Id") is not None}
    jobs = SyncJob.objects.filter(qbo_entity=entity, qbo_id__in=by_id).select_related(
        "content_type"
    )
    for job in jobs:
        remote = by_id[job.qbo_id]
        token = str(remote.get("SyncToken", ""))
        if remote.get("status") == "Deleted":
            if job.action != SyncJob.Action.DELETE:
                _mark(run, job, "Deleted in QuickBooks", remote)
            continue
        if token == job.sync_token:
            continue  # our own write
        model = job.content_type.model_class()
        record = model._default_manager.filter(pk=job.object_id).first()
        if record is None:
            continue
        drift = _drift(sync_adapter_for(model).fingerprint(record), remote)
        if drift is None:
            drift = [] if sync_adapter_for(model).fingerprint(record) else ["SyncToken"]
        if drift:
            _mark(run, job, f"Edited in QuickBooks ({', '.join(drift)} differ)", remote)
        else:
            # Only QBO's bookkeeping moved (a payment applied): keep its SyncToken for updates.
            SyncJob.objects.filter(pk=job.pk).update(sync_token=token)
            model._default_manager.filter(pk=job.object_id).update(sync_token=token)


def _drift(fingerprint: dict, remote: dict) -> list[str] | None:
    if not fingerprint:
        return None
    return [field for field, ours in fingerprint.items() if not _same(ours, remote.get(field))]


def _same(ours, theirs) -> bool:
    if isinstance(ours, Decimal):
        try:
            return Decimal(str(theirs)) == ours
        except (InvalidOperation, ValueError):
            return False
    return str(ours) == str(theirs)


def _mark(run: SyncRun, job: SyncJob, what: str, remote: dict) -> None:
    changed = parse_datetime(remote.get("MetaData", {}).get("LastUpdatedTime", "") or "")
    SyncJob.objects.filter(pk=job.pk).update(
        remote_change=what[:255], remote_changed_at=changed or timezone.now()
    )
    sync_run_note(
        run, event="changed_in_qbo", always=True, text=f"{job.label}: {what}.", job_id=job.pk
    )
    sync_run_progress(run, updated=1)
    logger.info("%s: %s", job.label, what)
