"""QBO items here: the full import and reconcile, a CDC answer's changes, the line fallbacks."""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from distru_qbo.words import counted
from integrations.defaults import DEFAULT_PURCHASE_ITEM_NAME, DEFAULT_SALES_ITEM_NAME
from integrations.models import (
    QboAccount,
    QboClass,
    QboConnection,
    QboItem,
    QboSyncable,
    SyncRun,
)
from integrations.outbox.signals import outbox_suppressed
from integrations.qbo.client import QboClient, select
from integrations.qbo.errors import without_nul
from integrations.services.default_items import default_item_get, default_items_ensure
from integrations.services.mirror import (
    IGNORED_ITEM_TYPES,
    IMPORTED_ITEM_TYPES,
    accounts_mirror,
    classes_mirror,
    is_active,
    item_problem,
    items_mirror,
    object_problem,
)
from integrations.services.runs import sync_run, sync_run_note, sync_run_progress

logger = logging.getLogger(__name__)

SYNCABLE_ITEMS = select("Item", {"Type": list(IMPORTED_ITEM_TYPES)})
SYNCABLE_ITEM_COUNT = select("Item", {"Type": list(IMPORTED_ITEM_TYPES)}, count=True)
IGNORED_ITEMS = select("Item", {"Type": list(IGNORED_ITEM_TYPES)})
# The name lists a CDC answer brings into the mirror.
MIRRORED_ENTITIES = ["Item", "Account", "Class"]
SWEEP_CHUNK = 500  # item ids per confirming query, well under a 1000-row page
# The product side of each mapping, as (side, reverse relation on QboItem, Product field).
MAPPINGS = (
    ("sales", "sales_products", "sales_qbo_item"),
    ("purchase", "purchase_products", "purchase_qbo_item"),
)

Progress = Callable[[int, int], None]


def items_import(
    *,
    client: QboClient,
    progress: Progress | None = None,
    reason: str = "",
    trigger: str = SyncRun.Trigger.HOURLY,
) -> SyncRun:
    """Mirror every active NonInventory and Service item, 1000 a page, and remove the rest."""
    with sync_run(SyncRun.Kind.ITEMS_FULL, trigger=trigger) as run:
        if reason:
            sync_run_note(run, event="reconcile", text=reason)
        started = timezone.now()
        total = client.count(SYNCABLE_ITEM_COUNT)
        run.message = f"{counted(total, 'item')} in QuickBooks"
        run.save(update_fields=["message"])
        for page in client.query_pages(SYNCABLE_ITEMS):
            live, _ = _items_sorted(run, page)
            _items_upsert(run, live)
            if progress:
                progress(run.processed, total)
        _items_sweep(client=client, run=run, started=started)
        _items_not_imported(client=client, run=run)
        QboConnection.objects.filter(id=QboConnection.SINGLETON_ID).update(
            items_full_synced_at=started
        )
        run.details.extend(default_items_ensure(client=client))
        run.message = items_summary(run)
    logger.info("Imported %d QuickBooks items, removed %d", run.processed, run.removed)
    return run


def item_for_invoice_line(product) -> QboItem:
    """The item an invoice line of `product` carries: its Sales item, else *Distru Sales*."""
    return product.sales_qbo_item or default_item_get(name=DEFAULT_SALES_ITEM_NAME)


def item_for_bill_line(product) -> QboItem:
    """The item a bill line of `product` carries: its Purchase item, else *Distru Purchases*."""
    return product.purchase_qbo_item or default_item_get(name=DEFAULT_PURCHASE_ITEM_NAME)


def mirror_changes_apply(*, run: SyncRun, changes: dict[str, list]) -> None:
    """Take a CDC answer's items, accounts and classes into the mirror; an item QBO
    inactivated (or turned into a type left out) is removed after its products are unmapped."""
    accounts = _changed(QboAccount, _identified(run, "Account", changes.get("Account", [])))
    if accounts:
        accounts_mirror(rows=accounts)
    classes = _changed(QboClass, _identified(run, "Class", changes.get("Class", [])))
    if classes:
        classes_mirror(rows=classes)
    live, dead = _items_sorted(run, changes.get("Item", []))
    _items_upsert(run, _changed(QboItem, live))
    if dead:
        _items_remove(run, QboItem.objects.filter(qbo_id__in=dead))


def _changed(model: type[QboSyncable], rows: list[dict]) -> list[dict]:
    """The rows whose SyncToken differs from the mirror's: the overlap replays the others."""
    if not rows:
        return rows
    tokens = dict(
        model.objects.filter(qbo_id__in=[str(raw["Id"]).strip() for raw in rows]).values_list(
            "qbo_id", "sync_token"
        )
    )
    return [
        raw for raw in rows if tokens.get(str(raw["Id"]).strip()) != str(raw.get("SyncToken", ""))
    ]


def _items_sorted(run: SyncRun, rows: list) -> tuple[list[dict], list[str]]:
    """Live items to mirror, and the Ids of items QBO inactivated or turned into another type."""
    live, dead = [], []
    for raw in rows:
        if problem := item_problem(raw):
            _skipped(run, "Item", raw, problem)
        elif is_active(raw) and raw["Type"] in IMPORTED_ITEM_TYPES:
            live.append(raw)
        else:
            if is_active(raw):
                _not_imported(run, raw)
            dead.append(str(raw["Id"]).strip())
    return live, dead


def _items_not_imported(*, client: QboClient, run: SyncRun) -> None:
    """Name in the run's log each active item of a type left out, and why, then count them."""
    seen = Counter()
    for page in client.query_pages(IGNORED_ITEMS):
        _items_sorted(run, page)
        seen.update(raw["Type"] for raw in page if item_problem(raw) is None)
    if counted := [f"{kind}: {seen[kind]}" for kind in IGNORED_ITEM_TYPES if seen[kind]]:
        sync_run_note(
            run,
            event="not_imported",
            always=True,
            text=f"Items of the types left out by design were not imported ({', '.join(counted)}); "
            "the log names them and why. Products map to Non-inventory and Service items only.",
        )


def _not_imported(run: SyncRun, raw: dict) -> None:
    sync_run_note(
        run,
        event="not_imported",
        text=f"“{without_nul(raw['Name'])}” was not imported: {IGNORED_ITEM_TYPES[raw['Type']]}.",
        item=raw["Name"],
    )


def _identified(run: SyncRun, entity: str, rows: list) -> list[dict]:
    """The rows that carry an Id; the others are skipped with a line in the run's log."""
    good = []
    for raw in rows:
        if problem := object_problem(raw):
            _skipped(run, entity, raw, problem)
        else:
            good.append(raw)
    return good


def _skipped(run: SyncRun, entity: str, raw: object, problem: str) -> None:
    name = raw.get("Name") if isinstance(raw, dict) else None
    name = without_nul(name)[:100].strip() if isinstance(name, str) else None
    what = f"{entity} “{name}”" if name else f"A {entity} from QuickBooks"
    shown = repr(raw)
    logger.warning("Skipped a QBO %s: %s (%s)", entity, problem, shown[:300])
    sync_run_note(run, event="skipped", text=f"{what} was skipped: {problem}.", entity=entity)


def _items_upsert(run: SyncRun, rows: list[dict]) -> None:
    if not rows:
        return
    created = items_mirror(rows=rows)
    sync_run_progress(run, processed=len(rows), created=created, updated=len(rows) - created)


def _items_sweep(*, client: QboClient, run: SyncRun, started: datetime) -> None:
    """Remove the items the import did not see, once QBO confirms they are no longer active.

    Offset paging skips a row when an item changes while the pages are read, so not being
    seen alone does not condemn an item: it is looked up by Id first.
    """
    unseen = list(
        QboItem.objects.exclude(qbo_id="")
        .filter(updated_at__lt=started)
        .values_list("qbo_id", flat=True)
    )
    for start in range(0, len(unseen), SWEEP_CHUNK):
        chunk = unseen[start : start + SWEEP_CHUNK]
        found = [raw for page in client.query_pages(select("Item", {"Id": chunk})) for raw in page]
        live, _ = _items_sorted(run, found)
        _items_upsert(run, live)
        alive = {str(raw["Id"]) for raw in live}
        _items_remove(run, QboItem.objects.filter(qbo_id__in=set(chunk) - alive))


def _items_remove(run: SyncRun, items: QuerySet[QboItem]) -> None:
    """Unmap every product from `items` on both sides, log who lost what, then delete them."""
    # Everything here happens because of QBO, so none of it is pushed back.
    with transaction.atomic(), outbox_suppressed():
        # An item made here and still waiting for its first push is never removed.
        doomed = dict(items.exclude(qbo_id="").select_for_update().values_list("pk", "name"))
        if not doomed:
            return
        for side, relation, field in MAPPINGS:
            products = QboItem._meta.get_field(relation).related_model._default_manager.filter(
                **{f"{field}__in": list(doomed)}
            )
            for product_pk, product_name, item_pk in products.values_list("pk", "name", field):
                sync_run_note(
                    run,
                    event="unmapped",
                    always=True,
                    text=f"“{product_name}” lost its {side} item “{doomed[item_pk]}”: "
                    f"remap it, or it uses the default {side} item.",
                    product_id=product_pk,
                    side=side,
                    item=doomed[item_pk],
                )
            products.update(**{field: None})
        QboItem.objects.filter(pk__in=list(doomed)).delete()
        for name in doomed.values():
            sync_run_note(run, event="removed", text=f"“{name}” is no longer active in QuickBooks.")
        sync_run_progress(run, removed=len(doomed))


def items_summary(run: SyncRun) -> str:
    """What a run did to the items, and what it asks of the user."""
    unmapped = sum(1 for note in run.details if note["event"] == "unmapped")
    summary = f"{run.created} new, {run.updated} updated, {run.removed} removed"
    if unmapped:
        summary += (
            f"; {counted(unmapped, 'product mapping')} {'was' if unmapped == 1 else 'were'} "
            f"cleared: remap {'that product' if unmapped == 1 else 'those products'}"
        )
    return summary
