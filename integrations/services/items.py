"""Import of QBO items (NonInventory and Service only) into the local mirror."""

import logging

from django.db.models.functions import Lower
from django.utils import timezone

from integrations.models import QboAccount, QboClass, QboConnection, QboItem, SyncRun
from integrations.qbo.client import QboClient
from integrations.services.mirror import mirror_upsert
from integrations.services.runs import sync_run, sync_run_progress

logger = logging.getLogger(__name__)

# Inventory items need quantities and asset accounts we never manage; Category and Group
# items are not sellable lines.
IMPORTED_ITEM_TYPES = (QboItem.Type.NON_INVENTORY, QboItem.Type.SERVICE)
ACTIVE_SYNCABLE_ITEMS = "SELECT * FROM Item WHERE Type IN ('NonInventory', 'Service')"


def items_import(*, client: QboClient) -> SyncRun:
    """Import every active NonInventory and Service item, a page of 1000 at a time."""
    with sync_run(SyncRun.Kind.ITEMS_FULL) as run:
        started = timezone.now()
        accounts = dict(QboAccount.objects.values_list("qbo_id", "pk"))
        classes = dict(QboClass.objects.values_list("qbo_id", "pk"))
        for page in client.query_pages(ACTIVE_SYNCABLE_ITEMS):
            rows = [
                _item_fields(raw, accounts, classes)
                for raw in page
                if raw.get("Type") in IMPORTED_ITEM_TYPES
            ]
            known = _link_unpushed_by_name(rows)
            mirror_upsert(QboItem, rows, create_defaults={"origin": QboItem.Origin.QBO})
            sync_run_progress(run, processed=len(rows), created=len(rows) - known, updated=known)
        QboConnection.objects.filter(id=QboConnection.SINGLETON_ID).update(
            items_full_synced_at=started, items_cdc_watermark=started
        )
    logger.info("Imported %d QuickBooks items", run.processed)
    return run


def _link_unpushed_by_name(rows: list[dict]) -> int:
    """Give a same-named item made here (not pushed yet) its QBO id, instead of a duplicate.

    Returns how many of `rows` already exist here.
    """
    names = {row["name"].lower(): row["qbo_id"] for row in rows}
    unpushed = list(
        QboItem.objects.annotate(lower_name=Lower("name")).filter(qbo_id="", lower_name__in=names)
    )
    for item in unpushed:
        item.qbo_id = names[item.name.lower()]
    if unpushed:
        QboItem.objects.bulk_update(unpushed, ["qbo_id"])
    return QboItem.objects.filter(qbo_id__in=names.values()).count()


def _ref(raw: dict, key: str, pks: dict[str, int]) -> int | None:
    ref = raw.get(key) or {}
    return pks.get(str(ref.get("value", "")))


def _item_fields(raw: dict, accounts: dict[str, int], classes: dict[str, int]) -> dict:
    return {
        "qbo_id": str(raw["Id"]),
        "sync_token": str(raw.get("SyncToken", "")),
        "name": raw.get("Name", "")[:100],
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
