"""Webhooks: the sandbox tells an app what changed, signed and batched as Intuit does.

`Company` reports every change it stores (an API write, a test fixture's write, a payment that
moves an invoice's balance) to `WebhookSender.record`, which only queues it: the backend's lock
is never held while a notification is posted, and no API answer waits for one. One background
thread gathers the changes of a short window, builds one notification per company, signs it
and posts it, retrying on Intuit's schedule until the app answers 200. Every rule and its
source: README, "Webhooks".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime

import requests

logger = logging.getLogger(__name__)

CLOUDEVENTS = "cloudevents"
LEGACY = "legacy"
FORMATS = (CLOUDEVENTS, LEGACY)
CONTENT_TYPES = {CLOUDEVENTS: "application/cloudevents+json", LEGACY: "application/json"}
SIGNATURE_HEADER = "intuit-signature"
# The entities of Intuit's webhook table that the sandbox holds (TaxCode, TaxRate and
# CompanyInfo are not in the table).
ENTITIES = frozenset(
    {"Account", "Bill", "BillPayment", "Class", "CreditMemo", "Customer", "Department",
     "Estimate", "Invoice", "Item", "Payment", "PaymentMethod", "Preferences", "PurchaseOrder",
     "SalesReceipt", "Term", "Vendor", "VendorCredit"}
)  # fmt: skip
CLOUDEVENT_VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided"}
# Seconds Intuit waits after the 1st, 2nd, ... failed attempt; the last one repeats forever.
RETRY_DELAYS = (10, 20, 30, 300, 1200, 7200, 14400, 21600)
MAX_EVENTS = 100  # in one notification
COUNTS = ("sent", "failed", "retried", "dropped")
NUMBERS = ("window_s", "retry_scale", "timeout_s")


@dataclass(frozen=True)
class Change:
    """One stored change, as a webhook reports it: ids only, never the object."""

    realm_id: str
    entity: str
    entity_id: str
    operation: str  # Create, Update, Delete or Void: the legacy payload's words
    when: datetime  # the object's MetaData.LastUpdatedTime


@dataclass
class Settings:
    """The app's subscription (where and how to post) and the knobs tests turn."""

    url: str | None = None
    verifier_token: str = ""
    format: str = CLOUDEVENTS
    window_s: float = 1.0  # changes within it travel together
    retry_scale: float = 1.0  # multiplies Intuit's retry delays
    timeout_s: float = 3.0  # an answer later than this is a failure, as at Intuit

    def checked(self) -> Settings:
        """These settings with numbers as numbers, or a ValueError saying what to fix."""
        if self.url is not None and not (
            isinstance(self.url, str) and self.url.startswith(("http://", "https://"))
        ):
            raise ValueError("Give an http:// or https:// url, or null to unsubscribe")
        if not isinstance(self.verifier_token, str) or self.url and not self.verifier_token:
            raise ValueError("Give a verifier_token (text) with the url: it signs every post")
        if self.format not in FORMATS:
            raise ValueError(f"Choose a format: {' or '.join(FORMATS)}")
        try:
            numbers = {name: float(getattr(self, name)) for name in NUMBERS}
        except (TypeError, ValueError):
            numbers = {}
        if not (
            numbers
            and all(math.isfinite(value) for value in numbers.values())
            and numbers["window_s"] >= 0
            and numbers["retry_scale"] >= 0
            and numbers["timeout_s"] > 0
        ):
            raise ValueError("Give window_s and retry_scale as 0 or more, and timeout_s above 0")
        return replace(self, **numbers)


def sign(body: bytes, verifier_token: str) -> str:
    """The `intuit-signature` header: base64 of the HMAC-SHA256 of the raw body."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def retry_delay(failures: int) -> int:
    """Seconds Intuit waits before the next attempt, after `failures` failed ones."""
    return RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]


def notification_body(changes: list[Change], payload_format: str) -> bytes:
    """One notification: the changes of one company, in the order they happened."""
    if payload_format == LEGACY:
        entities = [
            {"name": c.entity, "id": c.entity_id, "operation": c.operation,
             "lastUpdated": _utc(c.when)}
            for c in changes
        ]  # fmt: skip
        realm_id = changes[0].realm_id
        body = {"eventNotifications": [{"realmId": realm_id,
                                        "dataChangeEvent": {"entities": entities}}]}  # fmt: skip
        return json.dumps(body).encode()
    return json.dumps([_cloud_event(change) for change in changes]).encode()


def _cloud_event(change: Change) -> dict:
    source = base64.b64encode(hashlib.sha256(change.realm_id.encode()).digest()).decode()
    event = {
        "specversion": "1.0",
        "id": f"{uuid.uuid4()}-{change.entity}-{change.entity_id}",
        "source": f"intuit.{source}",
        "type": f"qbo.{change.entity.lower()}.{CLOUDEVENT_VERBS[change.operation]}.v1",
        "time": _utc(change.when),
        "intuitentityid": change.entity_id,
        "intuitaccountid": change.realm_id,
    }
    # Intuit's samples carry an empty `data` on a create and none on an update.
    if change.operation == "Create":
        event |= {"datacontenttype": "application/json", "data": {}}
    return event


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Notification:
    body: bytes
    content_type: str
    failures: int = 0
    due: float = 0.0  # time.monotonic() of the next attempt


class WebhookSender:
    """Gathers changes, and posts them from its own thread to the subscribed URL."""

    def __init__(self, is_connected: Callable[[str], bool]):
        self.is_connected = is_connected  # only companies connected to the app are reported
        self.settings = Settings()
        self._cond = threading.Condition()
        self._gathering: list[Change] = []
        self._window_ends = 0.0
        self._building = 0  # changes out of the window, not yet in a notification
        self._queue: deque[_Notification] = deque()
        self._drop: bool | int = False
        self._counts = dict.fromkeys(COUNTS, 0)
        self._generation = 0  # a reset makes the answer to an earlier post meaningless
        self._thread: threading.Thread | None = None
        self._http = requests.Session()

    def record(self, change: Change) -> None:
        """Queue a change; called by `Company`, maybe under the backend's lock: never waits."""
        if change.entity not in ENTITIES:
            return
        with self._cond:
            if not self.settings.url:
                return
            if not self._gathering:
                self._window_ends = time.monotonic() + self.settings.window_s
            self._gathering.append(change)
            self._cond.notify()

    def configure(self, **changes) -> dict:
        """Change the subscription or the knobs, all or nothing; `url=None` unsubscribes.

        `drop`: true drops every notification until false; a number drops that many.
        """
        drop = changes.pop("drop", None)
        known = {f.name for f in fields(Settings)}
        if unknown := set(changes) - known:
            raise ValueError(f"Leave out what is no webhook setting: {', '.join(sorted(unknown))}")
        if drop is not None and not (isinstance(drop, bool) or isinstance(drop, int) and drop >= 0):
            raise ValueError("Send drop as true, false or a number of notifications (0 or more)")
        settings = replace(self.settings, **changes).checked()
        with self._cond:
            if not settings.url:
                self._counts["dropped"] += len(self._queue)
                self._queue.clear()
                self._gathering.clear()
            self.settings = settings
            if drop is not None:
                self._drop = drop
            if settings.url and self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="qbo-sandbox-webhooks", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return self.snapshot()

    def forget(self) -> None:
        """Forget what is queued, the counts and the drop control; the subscription stays."""
        with self._cond:
            self._generation += 1
            self._gathering.clear()
            self._building = 0
            self._queue.clear()
            self._drop = False
            self._counts = dict.fromkeys(COUNTS, 0)

    def snapshot(self) -> dict:
        """The subscription (never the token itself), the drop control and the counts."""
        with self._cond:
            settings = asdict(self.settings)
            settings["verifier_token_set"] = bool(settings.pop("verifier_token"))
            return {
                **settings,
                "drop": self._drop,
                **self._counts,
                "pending": len(self._queue),
                "collecting": len(self._gathering) + self._building,
            }

    # ---- the sender's thread ----

    def _run(self) -> None:
        while True:
            with self._cond:
                batch, head, payload_format, generation = self._next_work()
            if batch:
                self._enqueue(batch, payload_format, generation)
            if head:
                self._deliver(head)

    def _next_work(self) -> tuple[list[Change], _Notification | None, str, int]:
        """Wait (holding the condition) for a closed window or a notification due."""
        while True:
            now = time.monotonic()
            if self._gathering and now >= self._window_ends:
                batch, self._gathering = self._gathering, []
                self._building = len(batch)
                return batch, None, self.settings.format, self._generation
            head = self._queue[0] if self._queue else None
            if head and now >= head.due:
                return [], head, self.settings.format, self._generation
            deadlines = [self._window_ends] if self._gathering else []
            deadlines += [head.due] if head else []
            self._cond.wait(min(deadlines) - now if deadlines else None)

    def _enqueue(self, batch: list[Change], payload_format: str, generation: int) -> None:
        """One notification per company and per MAX_EVENTS changes, built outside the lock."""
        realms = [r for r in dict.fromkeys(c.realm_id for c in batch) if self.is_connected(r)]
        notifications = []
        for realm_id in realms:
            changes = [c for c in batch if c.realm_id == realm_id]
            for start in range(0, len(changes), MAX_EVENTS):
                body = notification_body(changes[start : start + MAX_EVENTS], payload_format)
                notifications.append(_Notification(body, CONTENT_TYPES[payload_format]))
        with self._cond:
            self._building = 0
            if generation != self._generation or not self.settings.url:
                return
            for notification in notifications:
                if not self._drop:
                    self._queue.append(notification)
                    continue
                self._counts["dropped"] += 1
                if self._drop is not True:
                    self._drop -= 1

    def _deliver(self, notification: _Notification) -> None:
        """Post the head of the queue; a later one waits until it is answered 200."""
        with self._cond:
            settings = self.settings
        url = settings.url
        headers = {"Content-Type": notification.content_type,
                   SIGNATURE_HEADER: sign(notification.body, settings.verifier_token)}  # fmt: skip
        try:
            answer = self._http.post(
                url, data=notification.body, headers=headers, timeout=settings.timeout_s,
                allow_redirects=False,
            )  # fmt: skip
            status = str(answer.status_code)
        except requests.RequestException as error:
            status = type(error).__name__
        with self._cond:
            if not self._queue or self._queue[0] is not notification:  # forgotten meanwhile
                return
            if notification.failures:
                self._counts["retried"] += 1
            if status == "200":
                self._counts["sent"] += 1
                self._queue.popleft()
                return
            self._counts["failed"] += 1
            notification.failures += 1
            delay = retry_delay(notification.failures) * self.settings.retry_scale
            notification.due = time.monotonic() + delay
        logger.warning(
            "The webhook to %s failed (%s); attempt %d follows in %.1f s",
            url, status, notification.failures + 1, delay,
        )  # fmt: skip
