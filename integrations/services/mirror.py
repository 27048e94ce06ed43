"""Imports of QBO's company profile, accounts, classes and items into the local mirror."""

import logging
import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.models import QboAccount, QboClass, QboConnection, QboItem, SyncRun
from integrations.qbo.client import QboClient
from integrations.qbo.errors import without_nul
from integrations.services.connection import company_name_from, qbo_client
from integrations.services.runs import sync_run, sync_run_progress

logger = logging.getLogger(__name__)

# Accounts and classes come back inactive too: a mapped account that was inactivated in QBO
# must stay visible here, so the user is told about the conflict.
ALL_ACCOUNTS = "SELECT * FROM Account WHERE Active IN (true, false)"
ALL_CLASSES = "SELECT * FROM Class WHERE Active IN (true, false)"
IMPORTED_ITEM_TYPES = (QboItem.Type.NON_INVENTORY, QboItem.Type.SERVICE)
# The item types QBO has that are deliberately left out, each with why, as the import's log
# names every such item it sees.
IGNORED_ITEM_TYPES = {
    "Inventory": "it is an Inventory item: QuickBooks counts its quantity on hand against an "
    "asset account, which Distru does not keep in step",
    "Category": "it is a category, which groups items and which QuickBooks refuses on a "
    "transaction line",
    "Group": "it is a bundle (Group), which stands for other items; a product maps to one item",
}
# QBO's own limits, and the columns they land in; longer text is cut, not refused.
ID_CHARS = QboItem._meta.get_field("qbo_id").max_length
NAME_CHARS = QboItem._meta.get_field("name").max_length
_CENTS = Decimal("0.01")
_MAX_AMOUNT = Decimal(10) ** (QboItem._meta.get_field("unit_price").max_digits - 2)


def company_profile_import(*, client: QboClient) -> QboConnection:
    """Store the company name and country, then the preferences pushes follow."""
    info = client.company_info()
    connection = QboConnection.objects.get()
    connection.company_name = company_name_from(info)
    connection.country = _text(info, "Country", 8).strip().upper()
    connection.save(update_fields=["company_name", "country", "updated_at"])
    return company_preferences_import(client=client)


def company_preferences_import(*, client: QboClient) -> QboConnection:
    """Store the preferences pushes follow (class tracking, sales tax, custom numbers): the one
    place they are read, at connect, by the change pipeline when they may have changed, and
    when QBO refuses a push that carried a class."""
    prefs = client.preferences()
    accounting, tax = _prefs(prefs, "AccountingInfoPrefs"), _prefs(prefs, "TaxPrefs")
    connection = QboConnection.objects.get()
    connection.class_tracking_per_txn = accounting.get("ClassTrackingPerTxn") is True
    connection.class_tracking_per_line = accounting.get("ClassTrackingPerTxnLine") is True
    connection.sales_tax_enabled = tax.get("UsingSalesTax") is True
    connection.automated_sales_tax = tax.get("PartnerTaxEnabled") is True
    sales_forms = _prefs(prefs, "SalesFormsPrefs")
    connection.custom_txn_numbers = sales_forms.get("CustomTxnNumbers") is True
    connection.preferences_read_at = timezone.now()
    connection.save(
        update_fields=[
            "class_tracking_per_txn",
            "class_tracking_per_line",
            "sales_tax_enabled",
            "automated_sales_tax",
            "custom_txn_numbers",
            "preferences_read_at",
            "updated_at",
        ]
    )
    return connection


def _prefs(prefs: dict, group: str) -> dict:
    """One group of QBO's Preferences (empty when missing or not an object)."""
    value = prefs.get(group)
    return value if isinstance(value, dict) else {}


def accounts_import(*, client: QboClient) -> int:
    """Mirror the whole chart of accounts, page by page; returns how many accounts QBO has."""
    seen = sum(accounts_mirror(rows=page) for page in client.query_pages(ALL_ACCOUNTS))
    logger.info("Imported %d QuickBooks accounts", seen)
    return seen


def accounts_mirror(*, rows: list[dict]) -> int:
    """Upsert QBO Account objects (rows without an identity are skipped); returns how many."""
    rows = _readable_rows("Account", rows)
    mirror_upsert(QboAccount, [_account_fields(raw) for raw in rows])
    return len(rows)


def classes_import(*, client: QboClient) -> int:
    """Mirror every class, then link each sub-class to its parent."""
    # All pages first: a sub-class may come on an earlier page than its parent.
    seen = classes_mirror(rows=[raw for page in client.query_pages(ALL_CLASSES) for raw in page])
    logger.info("Imported %d QuickBooks classes", seen)
    return seen


@transaction.atomic
def classes_mirror(*, rows: list[dict]) -> int:
    """Upsert QBO Class objects, then point each of them at its parent; returns how many."""
    rows = _readable_rows("Class", rows)
    mirror_upsert(QboClass, [_class_fields(raw) for raw in rows])
    parents = {str(raw["Id"]).strip(): _ref_id(raw, "ParentRef") for raw in rows}
    if any(parents.values()):
        by_qbo_id = dict(QboClass.objects.values_list("qbo_id", "pk"))
        children = list(QboClass.objects.filter(qbo_id__in=parents))
        for child in children:
            child.parent_id = by_qbo_id.get(parents[child.qbo_id])
        QboClass.objects.bulk_update(children, ["parent"])
    return len(rows)


@transaction.atomic
def items_mirror(*, rows: list[dict]) -> int:
    """Upsert QBO Item objects (each passed `item_problem`); returns how many were new here.

    All or nothing: the links to unpushed items and the upsert commit together.
    """
    accounts = _pks(QboAccount, rows, ("IncomeAccountRef", "ExpenseAccountRef"))
    classes = _pks(QboClass, rows, ("ClassRef",))
    fields = list(_by_qbo_id(_item_fields(raw, accounts, classes) for raw in rows).values())
    _set_apart_repeated_names(fields)
    _link_unpushed_by_name(fields)
    _free_stale_names(fields)
    return mirror_upsert(QboItem, fields, create_defaults={"origin": QboItem.Origin.QBO})


def item_problem(raw: object) -> str | None:
    """Why a QBO Item object cannot be mirrored, or None when it can."""
    if problem := object_problem(raw):
        return problem
    if raw.get("Type") not in (*IMPORTED_ITEM_TYPES, *IGNORED_ITEM_TYPES):
        return f"its Type {_shown(raw.get('Type'))} is unknown"
    name = raw.get("Name")
    if name is not None and not isinstance(name, str):
        return f"its Name {_shown(name)} is not text"
    if not without_nul(name or "").strip():
        return "it has no Name"
    if len(name) > NAME_CHARS:
        # Cut to fit, two long names could become one: QBO itself never sends one this long.
        return f"its Name is longer than QuickBooks' {NAME_CHARS} characters"
    return None


def object_problem(raw: object) -> str | None:
    """Why a QBO object (of any name list) has no usable identity, or None when it has one."""
    if not isinstance(raw, dict):
        return "it is not an object"
    qbo_id = raw.get("Id")
    if qbo_id is None or qbo_id == "" or isinstance(qbo_id, bool):
        return "it has no Id"
    if not isinstance(qbo_id, str | int) or not str(qbo_id).strip() or "\x00" in str(qbo_id):
        return f"its Id {_shown(qbo_id)} is not a QuickBooks id"
    if len(str(qbo_id).strip()) > ID_CHARS:
        return f"its Id is longer than {ID_CHARS} characters"
    return None


def is_active(raw: dict) -> bool:
    """QBO's `Active` flag; absent means active, and only a clear false means inactive."""
    active = raw.get("Active", True)
    if isinstance(active, str):
        return active.strip().lower() != "false"
    return active is not False


def _readable_rows(entity: str, rows: list) -> list[dict]:
    """The rows with an identity; the others are logged and left out."""
    good = []
    for raw in rows:
        if problem := object_problem(raw):
            logger.warning("Skipped a QBO %s: %s (%s)", entity, problem, _shown(raw, 300))
        else:
            good.append(raw)
    return good


def _shown(value: object, limit: int = 60) -> str:
    """A value for a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _by_qbo_id(rows: Iterable[dict]) -> dict[str, dict]:
    """One row per QBO id, the last one winning (a page can repeat an object)."""
    return {row["qbo_id"]: row for row in rows}


def _set_apart_repeated_names(rows: list[dict]) -> None:
    """Give the second of two items a page names alike (regardless of case) a name of its own.

    QBO says item names are unique but not whether case counts (see the sandbox README), and
    the mirror's name is unique regardless of case: two such items would fail every sync for
    good. The later one is mirrored under its name and QBO id, which stays unique here.
    """
    seen = set()
    for row in rows:
        if row["name"].lower() in seen:
            suffix = f" (QuickBooks item {row['qbo_id']})"
            logger.warning("QBO item %s repeats the name %r of another", row["qbo_id"], row["name"])
            row["name"] = row["name"][: NAME_CHARS - len(suffix)] + suffix
        seen.add(row["name"].lower())


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


def _free_stale_names(rows: list[dict]) -> None:
    """Move aside a mirrored item whose name QBO has since given to another item.

    QBO renames an inactivated item "… (deleted)" and lets a new item take the name; a page can
    bring the new item before the old one's change (or a rename swap), which the mirror's
    unique name would refuse. The placeholder lasts until the old item's own row arrives.
    """
    owners = {row["name"].lower(): row["qbo_id"] for row in rows}
    stale = [
        item
        for item in QboItem.objects.annotate(lower_name=Lower("name"))
        .filter(lower_name__in=owners)
        .exclude(qbo_id="")
        if owners.get(item.name.lower(), item.qbo_id) != item.qbo_id
    ]
    for item in stale:
        logger.info("QBO item %s lost its name %r to another item", item.qbo_id, item.name)
        item.name = f"(renamed in QuickBooks: item {item.qbo_id})"
    if stale:
        QboItem.objects.bulk_update(stale, ["name"])


def _pks(model: type[models.Model], rows: list[dict], keys: tuple[str, ...]) -> dict[str, int]:
    """Local primary keys of the objects `rows` refer to under `keys`, by QBO id."""
    ids = {_ref_id(raw, key) for raw in rows for key in keys}
    ids.discard("")
    return dict(model.objects.filter(qbo_id__in=ids).values_list("qbo_id", "pk")) if ids else {}


def _ref_id(raw: dict, key: str) -> str:
    """The id a reference (`{"value": "12", "name": …}`) points at, or "" if it is unusable."""
    ref = raw.get(key)
    value = ref.get("value") if isinstance(ref, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    value = str(value).strip()
    return value if len(value) <= ID_CHARS and "\x00" not in value else ""


def _ref(raw: dict, key: str, pks: dict[str, int]) -> int | None:
    return pks.get(_ref_id(raw, key))


def _text(raw: dict, key: str, limit: int, default: str = "") -> str:
    """A text field cut to its column; a number becomes text, anything else is left empty."""
    value = raw.get(key)
    if isinstance(value, str):
        return without_nul(value)[:limit]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)[:limit]
    if value is not None:
        logger.warning("QBO object %s: ignored %s %s", _shown(raw.get("Id")), key, _shown(value))
    return default[:limit]


def _amount(raw: dict, key: str) -> Decimal | None:
    """A money field to the cent, or None when QBO sent nothing usable (logged)."""
    value = raw.get(key)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidOperation
        amount = Decimal(str(value).strip()).quantize(_CENTS, rounding=ROUND_HALF_UP)
        if not amount.is_finite() or abs(amount) >= _MAX_AMOUNT:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        logger.warning("QBO object %s: ignored %s %s", _shown(raw.get("Id")), key, _shown(value))
        return None
    return amount


def _item_fields(raw: dict, accounts: dict[str, int], classes: dict[str, int]) -> dict:
    return {
        "qbo_id": str(raw["Id"]).strip(),
        "sync_token": _text(raw, "SyncToken", 32),
        "name": without_nul(raw["Name"]),
        "type": raw["Type"],
        "description": _text(raw, "Description", 4000),
        "sku": _text(raw, "Sku", 100),
        "unit_price": _amount(raw, "UnitPrice"),
        "purchase_cost": _amount(raw, "PurchaseCost"),
        "income_account_id": _ref(raw, "IncomeAccountRef", accounts),
        "expense_account_id": _ref(raw, "ExpenseAccountRef", accounts),
        "qbo_class_id": _ref(raw, "ClassRef", classes),
        "active": is_active(raw),
    }


def _account_fields(raw: dict) -> dict:
    name = _text(raw, "Name", 100)
    return {
        "qbo_id": str(raw["Id"]).strip(),
        "sync_token": _text(raw, "SyncToken", 32),
        "name": name,
        "fully_qualified_name": _text(raw, "FullyQualifiedName", 1000, default=name),
        "account_type": _text(raw, "AccountType", 40),
        "account_sub_type": _text(raw, "AccountSubType", 100),
        "classification": _text(raw, "Classification", 20),
        "active": is_active(raw),
    }


def _class_fields(raw: dict) -> dict:
    name = _text(raw, "Name", 100)
    return {
        "qbo_id": str(raw["Id"]).strip(),
        "sync_token": _text(raw, "SyncToken", 32),
        "name": name,
        "fully_qualified_name": _text(raw, "FullyQualifiedName", 1000, default=name),
        "active": is_active(raw),
    }


@transaction.atomic
def mirror_upsert(
    model: type[models.Model], rows: Iterable[dict], create_defaults: dict | None = None
) -> int:
    """Insert or update rows keyed by qbo_id in three statements; returns how many were new."""
    rows = list(_by_qbo_id(rows).values())
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


def company_mirror_refresh(
    *,
    kind: str = SyncRun.Kind.ACCOUNTS,
    trigger: str = SyncRun.Trigger.HOURLY,
    run_id: int | None = None,
) -> SyncRun:
    """Re-read the company profile, preferences, accounts and classes from QBO."""
    with sync_run(kind, trigger=trigger, run_id=run_id) as run:
        client = qbo_client()  # inside the run, so "not connected" is its recorded outcome
        company_profile_import(client=client)
        sync_run_progress(run, processed=accounts_import(client=client))
        sync_run_progress(run, processed=classes_import(client=client))
    return run
