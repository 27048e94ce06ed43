"""QuickBooks webhooks received: the signature, Intuit's two payload formats, the events kept.

The rules and their sources are in integrations/sandbox/README.md ("Changes from QuickBooks:
webhooks received"). An event names an entity and its id only; the change pipeline's CDC read
brings what changed, so the events here are what starts a pass, and what the page shows.
"""

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.models import QboConnection, QboWebhookEvent, SyncRun
from integrations.qbo.client import qbo_time
from integrations.qbo.errors import without_nul

logger = logging.getLogger(__name__)

# Intuit sets no limit on a notification's size and says 2 MB is a common server default
# ("Managing webhooks notifications"); twice that holds about 12,000 CloudEvents, more than
# the 5-minute aggregation of a company's changes to the entities we subscribe to.
WEBHOOK_MAX_BODY_BYTES = 4 * 1024 * 1024
# The entities Intuit's webhooks report ("Configure webhooks", the table of entities), in
# QBO's spelling: a CloudEvents `type` spells them in lower case (qbo.salesreceipt.updated.v1).
WEBHOOK_ENTITIES = {
    name.lower(): name
    for name in (
        "Account Bill BillPayment Budget Class CreditMemo Currency Customer Department Deposit "
        "Employee Estimate Invoice Item JournalCode JournalEntry Payment PaymentMethod "
        "Preferences Purchase PurchaseOrder RefundReceipt SalesReceipt TaxAgency Term "
        "TimeActivity Transfer Vendor VendorCredit"
    ).split()
}
# The legacy format's operations, as a CloudEvents `type` words them.
LEGACY_OPERATIONS = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Merge": "merged",
    "Void": "voided",
    "Emailed": "emailed",
}
LOOKUP_CHUNK = 500  # event ids per query when looking for those already kept
_FIELDS = {f.name: f.max_length for f in QboWebhookEvent._meta.get_fields() if f.concrete}


class WebhookPayloadError(ValueError):
    """A body that is neither of Intuit's webhook formats."""


@dataclass(frozen=True)
class WebhookEvent:
    """One event as a notification names it."""

    event_id: str
    realm_id: str
    entity: str
    entity_id: str
    operation: str
    occurred_at: datetime | None


def webhook_signature_valid(*, body: bytes, signature: str | None) -> bool:
    """Whether `signature` (the intuit-signature header) is the base64 HMAC-SHA256 of the raw
    body under QBO_WEBHOOK_VERIFIER_TOKEN, compared in constant time. No token, no match."""
    token = settings.QBO_WEBHOOK_VERIFIER_TOKEN
    if not token or not signature:
        return False
    expected = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest())
    # WSGI hands headers over as Latin-1 text, so this gives back the bytes that were sent.
    return hmac.compare_digest(expected, signature.strip().encode("latin-1", "replace"))


def webhook_events_parse(body: bytes) -> list[WebhookEvent]:
    """The events of a CloudEvents notification (a JSON array) or a legacy one
    (`eventNotifications`). An event without a realm is left out and logged."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookPayloadError("it is not JSON") from None
    if isinstance(payload, list):
        events = [_cloud_event(raw) for raw in payload]
    elif isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        notifications = payload["eventNotifications"]
        events = [event for notification in notifications for event in _legacy(notification)]
    else:
        raise WebhookPayloadError("it is neither a list of CloudEvents nor eventNotifications")
    readable = [event for event in events if event is not None]
    if unreadable := len(events) - len(readable):
        logger.warning("Left out %d QuickBooks webhook event(s) naming no company", unreadable)
    return readable


def webhook_events_store(*, body: bytes) -> int:
    """Keep the connected company's events from a verified notification, each once, and have
    a worker take them in after the commit; how many were new.

    Another company's events are ignored. An event seen before (Intuit's retries, a replay)
    is recognised by its id and changes nothing.
    """
    events = webhook_events_parse(body)
    connected = QboConnection.objects.filter(pk=QboConnection.SINGLETON_ID)
    realm = connected.values_list("realm_id", flat=True).first() or ""
    mine = [event for event in events if realm and event.realm_id == realm]
    if ignored := len(events) - len(mine):
        logger.info("Ignored %d QuickBooks webhook event(s) for another company", ignored)
    ours = {event.event_id: event for event in mine}
    ids = list(ours)
    with transaction.atomic():
        known = {
            event_id
            for start in range(0, len(ids), LOOKUP_CHUNK)
            for event_id in QboWebhookEvent.objects.filter(
                event_id__in=ids[start : start + LOOKUP_CHUNK]
            ).values_list("event_id", flat=True)
        }
        new = [QboWebhookEvent(**asdict(ours[i])) for i in ids if i not in known]
        # ignore_conflicts: the same notification delivered twice at once is kept once.
        QboWebhookEvent.objects.bulk_create(new, batch_size=LOOKUP_CHUNK, ignore_conflicts=True)
        if new:
            transaction.on_commit(
                lambda: async_task(
                    "integrations.tasks.webhook_changes_task", task_name="qbo-webhook-changes"
                )
            )
    logger.info(
        "QuickBooks webhook: %d event(s), %d new, %d seen before", len(events), len(new), len(known)
    )
    return len(new)


def webhook_events_waiting() -> bool:
    """Whether an event is waiting for a pass of the change pipeline."""
    return QboWebhookEvent.objects.filter(taken_at__isnull=True).exists()


def webhook_events_take(*, run: SyncRun) -> set[str]:
    """Mark every event waiting as taken by `run`; the entities they name."""
    QboWebhookEvent.objects.filter(taken_at__isnull=True).update(
        taken_at=timezone.now(), taken_by=run
    )
    return set(QboWebhookEvent.objects.filter(taken_by=run).values_list("entity", flat=True))


def webhook_events_release(*, run: SyncRun) -> None:
    """Give back the events a failed pass took, for the next pass."""
    QboWebhookEvent.objects.filter(taken_by=run).update(taken_at=None, taken_by=None)


def _cloud_event(raw: object) -> WebhookEvent | None:
    """One CloudEvent: `type` is qbo.<entity>.<operation>.v<N>, `intuitaccountid` the realm,
    `intuitentityid` the entity's id (Intuit's blog, 2025-11-12; "Webhooks data objects")."""
    if not isinstance(raw, dict) or not (realm := _text(raw.get("intuitaccountid"))):
        return None
    parts = _text(raw.get("type")).split(".")
    entity, operation = (parts[1], parts[2]) if len(parts) >= 4 and parts[0] == "qbo" else ("", "")
    entity_id, occurred = _text(raw.get("intuitentityid")), _text(raw.get("time"))
    given = _text(raw.get("id"))
    event_id = given if 0 < len(given) <= _FIELDS["event_id"] else ""
    return _event(
        event_id or _derived_id("cloudevent", realm, given, raw.get("type"), entity_id, occurred),
        realm,
        WEBHOOK_ENTITIES.get(entity.lower(), entity),
        entity_id,
        operation.lower(),
        occurred,
    )


def _legacy(notification: object) -> list[WebhookEvent | None]:
    """The events of one of `eventNotifications` (Intuit's "Managing webhooks notifications":
    realmId, then dataChangeEvent.entities[] of name, id, operation and lastUpdated).

    A legacy event has no id of its own: its realm, entity, id, operation and time make one,
    so Intuit's retry of the same notification is recognised.
    """
    change = notification.get("dataChangeEvent") if isinstance(notification, dict) else None
    entities = change.get("entities") if isinstance(change, dict) else None
    if not isinstance(entities, list):
        return [None]
    realm = _text(notification.get("realmId"))
    events = []
    for raw in entities:
        if not realm or not isinstance(raw, dict):
            events.append(None)
            continue
        name, entity_id = _text(raw.get("name")), _text(raw.get("id"))
        operation, occurred = _text(raw.get("operation")), _text(raw.get("lastUpdated"))
        events.append(
            _event(
                _derived_id("legacy", realm, name, entity_id, operation, occurred),
                realm,
                WEBHOOK_ENTITIES.get(name.lower(), name),
                entity_id,
                LEGACY_OPERATIONS.get(operation, operation.lower()),
                occurred,
            )
        )
    return events


def _event(
    event_id: str, realm: str, entity: str, entity_id: str, operation: str, occurred: str
) -> WebhookEvent:
    return WebhookEvent(
        event_id=event_id,
        realm_id=realm,  # compared whole with the connected realm; only that one is kept
        entity=entity[: _FIELDS["entity"]],
        entity_id=entity_id[: _FIELDS["entity_id"]],
        operation=operation[: _FIELDS["operation"]],
        occurred_at=qbo_time(occurred),
    )


def _derived_id(kind: str, *parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"{kind}-{digest}"


def _text(value: object) -> str:
    """A field as text ("" for anything but text or a number), without NULs."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return without_nul(str(value)).strip()
