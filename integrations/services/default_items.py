"""The default items *Distru Sales* and *Distru Purchases*: in QBO, active, on the key accounts."""

import logging
import uuid
from dataclasses import dataclass

from django.db.models.functions import Lower

from integrations.defaults import DEFAULT_PURCHASE_ITEM_NAME, DEFAULT_SALES_ITEM_NAME
from integrations.models import QboAccount, QboConnection, QboItem
from integrations.outbox.errors import RetryLater, UserMustAct
from integrations.outbox.jobs import sync_jobs_wake
from integrations.qbo.client import QboClient
from integrations.qbo.errors import QboError
from integrations.services.mirror import IMPORTED_ITEM_TYPES, items_mirror

logger = logging.getLogger(__name__)

INACTIVE_SUFFIX = " (deleted)"  # QBO appends it to the name of an item it makes inactive
# The outbox code of a push held up by a default item; making the item wakes those pushes.
DEFAULT_ITEM_WAIT = "default-item"


@dataclass(frozen=True)
class DefaultItem:
    name: str
    account_label: str
    account_slot: str  # the QboConnection field holding the key account
    account_ref: str  # the QBO Item field that carries it
    item_field: str  # the QboItem field that mirrors it


DEFAULT_ITEMS = (
    DefaultItem(
        DEFAULT_SALES_ITEM_NAME,
        "Default Income",
        "default_income_account",
        "IncomeAccountRef",
        "income_account",
    ),
    DefaultItem(
        DEFAULT_PURCHASE_ITEM_NAME,
        "Default Expense",
        "default_expense_account",
        "ExpenseAccountRef",
        "expense_account",
    ),
)


class DefaultItemMissingError(UserMustAct):
    """A default item cannot be made: its key account is not chosen, or QBO holds the name."""


class DefaultItemNotReadyError(RetryLater):
    """A default item is being made in QBO (its key account was just chosen): wait for it."""


def default_item_get(*, name: str) -> QboItem:
    """The default item called `name`, as mirrored here."""
    item = QboItem.objects.filter(name__iexact=name).first()
    if item is not None:
        return item
    default = next(d for d in DEFAULT_ITEMS if d.name == name)
    chosen = QboConnection.objects.filter(**{f"{default.account_slot}__isnull": False}).exists()
    if not chosen:
        raise DefaultItemMissingError(
            f"Choose the {default.account_label} account under Key accounts (Settings → "
            f"Integrations → QuickBooks Online): the item “{name}”, which unmapped products "
            "use, is made on it. What waits for it is then sent by itself.",
            code=DEFAULT_ITEM_WAIT,
        )
    raise DefaultItemNotReadyError(
        f"Waiting for the item “{name}” to be made in QuickBooks on the "
        f"{default.account_label} account; this goes as soon as it is there (if it takes "
        "long, the QuickBooks page's sync log says why).",
        code=DEFAULT_ITEM_WAIT,
    )


def default_items_ensure(*, client: QboClient) -> list[dict]:
    """Link, create or reactivate the default items in QBO, each on its key account.

    Returns log lines (dicts with `event`, `text` and `problem`). Costs no API call when both
    items are already here, active and on the right accounts.
    """
    connection = QboConnection.objects.select_related(
        *(default.account_slot for default in DEFAULT_ITEMS)
    ).get()
    here = {
        item.name.lower(): item
        for item in QboItem.objects.annotate(lower_name=Lower("name")).filter(
            lower_name__in=[default.name.lower() for default in DEFAULT_ITEMS]
        )
    }
    notes, due = [], []
    for default in DEFAULT_ITEMS:
        account = getattr(connection, default.account_slot)
        item = here.get(default.name.lower())
        if account is None or not account.qbo_id:
            notes.append(
                _note(
                    f"“{default.name}” waits for the {default.account_label} account: "
                    "choose it under Key accounts.",
                    problem=True,
                )
            )
        elif not (
            item
            and item.qbo_id
            and item.active
            and getattr(item, f"{default.item_field}_id") == account.pk
        ):
            due.append((default, account))
    if not due:
        return notes
    # One read finds both, inactive ones too (QBO renames those), so each is found, not doubled.
    names = [name for d, _ in due for name in (d.name, d.name + INACTIVE_SUFFIX)]
    in_qbo: dict[str, dict] = {}
    for raw in client.find("Item", {"Name": names, "Active": [True, False]}):
        key = str(raw.get("Name", "")).lower().removesuffix(INACTIVE_SUFFIX)
        if key not in in_qbo or raw.get("Active", True):
            in_qbo[key] = raw
    accounts = _account_refs(connection)
    mirrored, created = [], []
    for default, account in due:
        try:
            found = in_qbo.get(default.name.lower())
            raw, done = _default_item_put(client, default, account, accounts, found)
        except (QboError, DefaultItemMissingError) as exc:
            logger.warning("Could not ensure the default item %s: %s", default.name, exc)
            notes.append(_note(f"“{default.name}” could not be set up: {exc}", problem=True))
            continue
        mirrored.append(raw)
        if found is None:
            created.append(str(raw["Id"]))
        notes.append(_note(f"“{default.name}” {done}.", problem=False))
    items_mirror(rows=mirrored)
    # The mirror takes in what QBO sends as imported; these the integration made itself.
    QboItem.objects.filter(qbo_id__in=created).update(origin=QboItem.Origin.LOCAL)
    if mirrored:
        sync_jobs_wake(code=DEFAULT_ITEM_WAIT)
    return notes


def _account_refs(connection: QboConnection) -> dict:
    """Both key accounts, for every default item: QBO wants an expense account on an item a
    bill uses and an income account on one an invoice uses (README, "Dependencies")."""
    refs = {}
    for default in DEFAULT_ITEMS:
        account = getattr(connection, default.account_slot)
        if account is not None and account.qbo_id:
            refs[default.account_ref] = {"value": account.qbo_id}
    return refs


def _default_item_put(
    client: QboClient, default: DefaultItem, account: QboAccount, refs: dict, raw: dict | None
) -> tuple[dict, str]:
    """Create, reactivate or re-point one default item; the QBO object and what was done."""
    on = f"on {account.name}"
    if raw is None:
        body = {"Name": default.name, "Type": QboItem.Type.NON_INVENTORY, **refs}
        return client.create("Item", body, request_id=uuid.uuid4().hex), f"was created {on}"
    if raw.get("Type") not in IMPORTED_ITEM_TYPES:
        raise DefaultItemMissingError(
            f"QuickBooks has a {raw.get('Type')} item with that name; rename it in QuickBooks"
        )
    active = raw.get("Active", True)
    if active and (raw.get(default.account_ref) or {}).get("value") == account.qbo_id:
        return raw, "was linked"
    body = {"Id": raw["Id"], "SyncToken": raw["SyncToken"], "Name": default.name, "Active": True}
    body.update(refs)
    done = f"was {'moved' if active else 'reactivated'} {on}"
    return client.update("Item", body, request_id=uuid.uuid4().hex), done


def _note(text: str, *, problem: bool) -> dict:
    return {"event": "default_item", "text": text, "problem": problem}
