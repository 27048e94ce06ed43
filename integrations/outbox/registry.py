"""The protocol a record must speak to be pushed to QBO, and the registry of who speaks it.

`integrations` knows only this protocol; each app registers adapters for its own models, so a
sales record knows how to become a QBO payload and `integrations` never imports `sales`.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models

from integrations.models import QboConnection
from integrations.outbox.errors import PushRefused as PushRefused  # the apps raise it from here
from integrations.outbox.fingerprint import fingerprint

# Dependency order: names first, then documents, then what pays or credits them.
PRIORITY_NAME, PRIORITY_DOCUMENT, PRIORITY_PAYMENT = 0, 1, 2


@dataclass(frozen=True)
class LedgerFields:
    """Where a document keeps what QBO holds as its TxnDate, TotalAmt and DocNumber.

    The reconciliation page compares documents by them; `number` is empty for payments,
    whose reference does not travel as a DocNumber.
    """

    date: str
    total: str
    number: str = ""
    # What the documents are called here, when not the model's plural.
    here: str = ""


@dataclass(frozen=True)
class PushContext:
    """What payload builders may consult: the connection's key accounts and class tracking."""

    connection: QboConnection


class QboSyncAdapter:
    """How one model maps to one QBO entity. Subclasses set `entity` and build payloads."""

    entity: str = ""
    priority: int = PRIORITY_DOCUMENT
    # How a delete here reaches QBO: name lists are inactivated, transactions deleted.
    delete_mode: str = "delete"
    # Whether QBO can void the entity when it refuses to delete it.
    voidable: bool = False
    # A transaction's date, total and number, for the reconciliation; None for name lists.
    ledger: LedgerFields | None = None

    def label(self, record: models.Model) -> str:
        """How people know the record (kept on the job after a delete)."""
        return str(record)[:255]

    def wants_push(self, record: models.Model) -> bool:
        """Whether the record belongs in QBO now; a pushed record that stops wanting is deleted."""
        return True

    def in_books(self, records: models.QuerySet) -> models.QuerySet:
        """Of `records`, those that belong in QBO now: `wants_push`, as a filter."""
        return records

    def dependencies(self, record: models.Model) -> list[models.Model]:
        """Records that must exist in QBO before this one can reference them."""
        return []

    # What `dependencies` reads, for `prefetch_related` when many records are asked at once
    # (a backfill): without it, each record costs a query per relation.
    dependency_prefetch: tuple[str, ...] = ()

    def payload(self, record: models.Model, *, context: PushContext) -> dict[str, Any]:
        """The full QBO body for a create (without Id and SyncToken)."""
        raise NotImplementedError

    # The QBO fields the product owns on this entity, compared with QBO's copy to tell an
    # edit made in QuickBooks from QBO's own bookkeeping (applying a payment moves an invoice's
    # SyncToken too). "Line" stands for each line's item or account, quantity, unit price,
    # amount, description, class and linked transaction. Empty: not watched (name lists).
    fingerprint_fields: tuple[str, ...] = ()

    def sends_doc_number(self, connection: QboConnection) -> bool:
        """Whether the DocNumber QBO holds is the one sent from here, not one QBO gave it."""
        return True

    def fingerprint(self, body: dict) -> dict[str, Any]:
        """What of `body` (ours as sent, or QBO's copy) this adapter owns, kept compact."""
        return fingerprint(body, self.fingerprint_fields)

    def find_existing(self, record: models.Model, *, client) -> dict | None:
        """Before a first create: the QBO object this record should link to instead, if any."""
        return None

    @property
    def looks_up_before_create(self) -> bool:
        """Whether a first push asks QBO for a record to link to (a request of its own)."""
        return type(self).find_existing is not QboSyncAdapter.find_existing

    def renamed_after_clash(self, record: models.Model, body: dict) -> dict | None:
        """After a 6240 duplicate name: a body with a recognisably unique name, or None."""
        return None


_adapters: dict[type[models.Model], QboSyncAdapter] = {}


def sync_adapter_register(model: type[models.Model], adapter: QboSyncAdapter) -> None:
    """Push `model` to QBO through `adapter`, and listen for its saves and deletes."""
    # Imported here: the receivers reach the outbox services, which read this registry.
    from integrations.outbox.signals import outbox_signals_connect

    _adapters[model] = adapter
    outbox_signals_connect(model)


def sync_adapter_for(model: type[models.Model]) -> QboSyncAdapter:
    """The adapter registered for `model` (KeyError if it is not synced)."""
    return _adapters[model]


def synced_models() -> list[type[models.Model]]:
    """Every model that is pushed to QBO."""
    return list(_adapters)
