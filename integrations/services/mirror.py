"""Imports of QBO's company profile, accounts, classes and items into the local mirror."""

import logging
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.models import QboAccount, QboClass, QboConnection, QboItem, SyncRun
from integrations.qbo.client import QboClient
from integrations.services.connection import qbo_client
from integrations.services.runs import sync_run, sync_run_progress

logger = logging.getLogger(__name__)

# Accounts and classes come back inactive too: a mapped account that was inactivated in QBO
# must stay visible here, so the user is told about the conflict.
ALL_ACCOUNTS = "SELECT * FROM Account WHERE Active IN (true, false)"
ALL_CLASSES = "SELECT * FROM Class WHERE Active IN (true, false)"
# Inventory items need quantities and asset accounts we never manage; Category and Group
# items are not sellable lines. These three are known and deliberately left out.
IMPORTED_ITEM_TYPES = (QboItem.Type.NON_INVENTORY, QboItem.Type.SERVICE)
IGNORED_ITEM_TYPES = ("Inventory", "Category", "Group")


def company_profile_import(*, client: QboClient) -> QboConnection:
    """Store the company name and the class-tracking preferences."""
    info = client.company_info()
    prefs = client.preferences().get("AccountingInfoPrefs", {})
    connection = QboConnection.objects.get()
    connection.company_name = info.get("CompanyName") or info.get("LegalName") or ""
    connection.class_tracking_per_txn = bool(prefs.get("ClassTrackingPerTxn"))
    connection.class_tracking_per_line = bool(prefs.get("ClassTrackingPerTxnLine"))
    connection.save(
        update_fields=[
            "company_name",
            "class_tracking_per_txn",
            "class_tracking_per_line",
            "updated_at",
        ]
    )
    return connection


def accounts_import(*, client: QboClient) -> int:
    """Mirror the whole chart of accounts, page by page; returns how many accounts QBO has."""
    seen = sum(accounts_mirror(rows=page) for page in client.query_pages(ALL_ACCOUNTS))
    logger.info("Imported %d QuickBooks accounts", seen)
    return seen


def accounts_mirror(*, rows: list[dict]) -> int:
    """Upsert QBO Account objects into the mirror; returns how many."""
    mirror_upsert(QboAccount, [_account_fields(raw) for raw in rows])
    return len(rows)


def classes_import(*, client: QboClient) -> int:
    """Mirror every class, then link each sub-class to its parent."""
    # All pages first: a sub-class may come on an earlier page than its parent.
    seen = classes_mirror(rows=[raw for page in client.query_pages(ALL_CLASSES) for raw in page])
    logger.info("Imported %d QuickBooks classes", seen)
    return seen


def classes_mirror(*, rows: list[dict]) -> int:
    """Upsert QBO Class objects, then point each of them at its parent; returns how many."""
    mirror_upsert(QboClass, [_class_fields(raw) for raw in rows])
    parents = {str(raw["Id"]): (raw.get("ParentRef") or {}).get("value") for raw in rows}
    if any(parents.values()):
        by_qbo_id = dict(QboClass.objects.values_list("qbo_id", "pk"))
        children = list(QboClass.objects.filter(qbo_id__in=parents))
        for child in children:
            child.parent_id = by_qbo_id.get(str(parents[child.qbo_id]))
        QboClass.objects.bulk_update(children, ["parent"])
    return len(rows)


def items_mirror(*, rows: list[dict]) -> int:
    """Upsert QBO Item objects (each passed `item_problem`); returns how many were new here."""
    accounts = _pks(QboAccount, rows, ("IncomeAccountRef", "ExpenseAccountRef"))
    classes = _pks(QboClass, rows, ("ClassRef",))
    fields = [_item_fields(raw, accounts, classes) for raw in rows]
    _link_unpushed_by_name(fields)
    return mirror_upsert(QboItem, fields, create_defaults={"origin": QboItem.Origin.QBO})


def item_problem(raw: object) -> str | None:
    """Why a QBO Item object cannot be mirrored, or None when it can."""
    if not isinstance(raw, dict):
        return "it is not an object"
    if not raw.get("Id"):
        return "it has no Id"
    if raw.get("Type") not in (*IMPORTED_ITEM_TYPES, *IGNORED_ITEM_TYPES):
        return f"its Type {raw.get('Type')!r} is unknown"
    if not str(raw.get("Name") or "").strip():
        return "it has no Name"
    return None


def _link_unpushed_by_name(rows: list[dict]) -> None:
    """Give a same-named item made here (not pushed yet) its QBO id, instead of a duplicate."""
    names = {row["name"].lower(): row["qbo_id"] for row in rows}
    unpushed = list(
        QboItem.objects.annotate(lower_name=Lower("name")).filter(qbo_id="", lower_name__in=names)
    )
    for item in unpushed:
        item.qbo_id = names[item.name.lower()]
    if unpushed:
        QboItem.objects.bulk_update(unpushed, ["qbo_id"])


def _pks(model: type[models.Model], rows: list[dict], keys: tuple[str, ...]) -> dict[str, int]:
    """Local primary keys of the objects `rows` refer to under `keys`, by QBO id."""
    ids = {str((raw.get(key) or {}).get("value", "")) for raw in rows for key in keys}
    ids.discard("")
    return dict(model.objects.filter(qbo_id__in=ids).values_list("qbo_id", "pk")) if ids else {}


def _ref(raw: dict, key: str, pks: dict[str, int]) -> int | None:
    return pks.get(str((raw.get(key) or {}).get("value", "")))


def _item_fields(raw: dict, accounts: dict[str, int], classes: dict[str, int]) -> dict:
    return {
        "qbo_id": str(raw["Id"]),
        "sync_token": str(raw.get("SyncToken", "")),
        "name": str(raw["Name"])[:100],
        "type": raw["Type"],
        "description": (raw.get("Description") or "")[:4000],
        "sku": (raw.get("Sku") or "")[:100],
        "unit_price": raw.get("UnitPrice"),
        "purchase_cost": raw.get("PurchaseCost"),
        "income_account_id": _ref(raw, "IncomeAccountRef", accounts),
        "expense_account_id": _ref(raw, "ExpenseAccountRef", accounts),
        "qbo_class_id": _ref(raw, "ClassRef", classes),
        "active": bool(raw.get("Active", True)),
    }


def _account_fields(raw: dict) -> dict:
    return {
        "qbo_id": str(raw["Id"]),
        "sync_token": str(raw.get("SyncToken", "")),
        "name": raw.get("Name", "")[:100],
        "fully_qualified_name": raw.get("FullyQualifiedName", raw.get("Name", ""))[:1000],
        "account_type": raw.get("AccountType", ""),
        "account_sub_type": raw.get("AccountSubType", "")[:100],
        "classification": raw.get("Classification", ""),
        "active": bool(raw.get("Active", True)),
    }


def _class_fields(raw: dict) -> dict:
    return {
        "qbo_id": str(raw["Id"]),
        "sync_token": str(raw.get("SyncToken", "")),
        "name": raw.get("Name", "")[:100],
        "fully_qualified_name": raw.get("FullyQualifiedName", raw.get("Name", ""))[:1000],
        "active": bool(raw.get("Active", True)),
    }


@transaction.atomic
def mirror_upsert(
    model: type[models.Model], rows: Iterable[dict], create_defaults: dict | None = None
) -> int:
    """Insert or update rows keyed by qbo_id in three statements; returns how many were new."""
    rows = list(rows)
    if not rows:
        return 0
    ids = [row["qbo_id"] for row in rows]
    existing = {obj.qbo_id: obj for obj in model.objects.filter(qbo_id__in=ids)}
    now = timezone.now()
    to_update, to_create = [], []
    for row in rows:
        obj = existing.get(row["qbo_id"])
        if obj is None:
            to_create.append(model(**row, **(create_defaults or {})))
            continue
        for field, value in row.items():
            setattr(obj, field, value)
        obj.updated_at = now
        to_update.append(obj)
    fields = [field for field in rows[0] if field != "qbo_id"] + ["updated_at"]
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=1000)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=1000)
    return len(to_create)


def company_mirror_refresh(*, kind: str = SyncRun.Kind.ACCOUNTS) -> SyncRun:
    """Re-read the company profile, preferences, accounts and classes from QBO."""
    client = qbo_client()
    with sync_run(kind) as run:
        company_profile_import(client=client)
        sync_run_progress(run, processed=accounts_import(client=client))
        sync_run_progress(run, processed=classes_import(client=client))
    return run
