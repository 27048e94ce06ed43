import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from distru_qbo.money import ZERO, percent_of, round_cents
from integrations.defaults import DEFAULT_PURCHASE_ITEM_NAME, DEFAULT_SALES_ITEM_NAME
from integrations.models import QboItem
from products.models import DOC_NUMBER_MAX, DocumentNumbering, PricedDocument, Product

# The default item a product without a mapping falls back to, by mapping field.
DEFAULT_ITEM_NAMES = {
    "sales_qbo_item": DEFAULT_SALES_ITEM_NAME,
    "purchase_qbo_item": DEFAULT_PURCHASE_ITEM_NAME,
}


Kind = DocumentNumbering.Kind
# QBO numbers invoices and credit memos (our sales returns) in one series and refuses a number
# twice in it (6140: integrations/sandbox/README.md, "Document numbers"), so their numbers are
# taken and checked together; bills and vendor credits are numbered apart.
NUMBER_SERIES = {
    Kind.INVOICE: (Kind.INVOICE, Kind.SALES_RETURN),
    Kind.SALES_RETURN: (Kind.INVOICE, Kind.SALES_RETURN),
    Kind.PURCHASE_ORDER: (Kind.PURCHASE_ORDER,),
    Kind.PURCHASE_RETURN: (Kind.PURCHASE_RETURN,),
}
DEFAULT_PREFIXES = {
    Kind.INVOICE: "INV-",
    Kind.SALES_RETURN: "RMA-",
    Kind.PURCHASE_ORDER: "PO-",
    Kind.PURCHASE_RETURN: "VRMA-",
}
# How many candidate numbers one query checks, past numbers typed in ahead of the counter.
NUMBER_PROBE = 100


class NumberTooLong(ValueError):
    """The series' next number is longer than QBO's DocNumber holds."""


@dataclass(frozen=True)
class DocumentTotals:
    """What a document's lines and taxes come to, each rounded as it is stored."""

    line_amounts: tuple[Decimal, ...]
    subtotal: Decimal
    tax_amounts: tuple[Decimal, ...]
    tax_total: Decimal
    total: Decimal


def priced_document_totals(
    *, lines: Iterable[tuple[Decimal, Decimal]], rates: Iterable[Decimal]
) -> DocumentTotals:
    """The totals of (quantity, unit price) lines taxed at `rates` (percent of the subtotal)."""
    line_amounts = tuple(round_cents(quantity * unit_price) for quantity, unit_price in lines)
    subtotal = sum(line_amounts, ZERO)
    tax_amounts = tuple(percent_of(subtotal, rate) for rate in rates)
    tax_total = sum(tax_amounts, ZERO)
    return DocumentTotals(line_amounts, subtotal, tax_amounts, tax_total, subtotal + tax_total)


@transaction.atomic
def priced_document_recalculate(*, document: PricedDocument) -> PricedDocument:
    """Recompute each line's amount, each tax line, and the document's stored totals."""
    lines = list(getattr(document, document.lines_relation).all())
    tax_lines = []
    if document.tax_lines_relation:
        tax_lines = list(getattr(document, document.tax_lines_relation).select_related("tax"))
    totals = priced_document_totals(
        lines=[(line.quantity, line.unit_price) for line in lines],
        rates=[tax_line.tax.rate for tax_line in tax_lines],
    )
    for line, amount in zip(lines, totals.line_amounts, strict=True):
        line.amount = amount
    if lines:
        type(lines[0]).objects.bulk_update(lines, ["amount"])
    for tax_line, amount in zip(tax_lines, totals.tax_amounts, strict=True):
        tax_line.rate = tax_line.tax.rate
        tax_line.taxable_amount = totals.subtotal
        tax_line.amount = amount
    if tax_lines:
        type(tax_lines[0]).objects.bulk_update(tax_lines, ["rate", "taxable_amount", "amount"])

    document.subtotal = totals.subtotal
    document.tax_total = totals.tax_total
    document.total = totals.total
    document.save(update_fields=["subtotal", "tax_total", "total"])
    return document


def product_mapping_bulk_update(
    *,
    products: QuerySet[Product],
    changed_by: AbstractBaseUser,
    changes: dict[str, QboItem | None],
) -> int:
    """Set the mapping fields named in `changes` (an item, or None: the product then uses the
    default) on every product of `products` in one UPDATE; a field not named is kept.

    Each product whose mapping changes gets a line in its History, the entries written in
    bulk. Returns how many products were updated.
    """
    if not changes or not set(changes) <= set(DEFAULT_ITEM_NAMES):
        raise ValueError("Give the sales item, the purchase item or both.")
    content_type = ContentType.objects.get_for_model(Product)
    with transaction.atomic():
        before = products.order_by().values_list("pk", "name", "sku", *_mapped(changes))
        entries = [_history_entry(row, changes, changed_by, content_type) for row in before]
        # update() bypasses auto_now, so the timestamp is set here.
        updated = products.update(**changes, updated_at=timezone.now())
        LogEntry.objects.bulk_create([entry for entry in entries if entry], batch_size=1000)
    return updated


def product_mapping_change(*, field: str, old: str | None, new: str | None) -> str:
    """How a mapping change reads in a product's History: Sales item from “A” to “B”."""
    label = Product._meta.get_field(field).verbose_name
    return f"{label} from {_shown(field, old)} to {_shown(field, new)}"


def _mapped(changes: dict) -> list[str]:
    """Per side changed: the id, then the name, of the item each product has now."""
    return [f"{field}{part}" for field in changes for part in ("_id", "__name")]


def _shown(field: str, name: str | None) -> str:
    return f"“{name}”" if name else f"none (uses {DEFAULT_ITEM_NAMES[field]})"


def _history_entry(row: tuple, changes: dict, changed_by, content_type) -> LogEntry | None:
    """The History line of one product of a bulk update, or None when nothing changes for it."""
    pk, name, sku, *mapped = row
    fields = [
        product_mapping_change(field=field, old=old_name, new=getattr(item, "name", None))
        for (field, item), old_id, old_name in zip(
            changes.items(), mapped[::2], mapped[1::2], strict=True
        )
        if old_id != getattr(item, "pk", None)
    ]
    if not fields:
        return None
    fields[-1] += " (bulk update)"
    return LogEntry(
        user_id=changed_by.pk,
        content_type=content_type,
        object_id=str(pk),
        object_repr=f"{name} ({sku})"[:200],
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": fields}}]),
    )


def document_numbering_lock(*, kind: Kind) -> DocumentNumbering:
    """Lock the numbering of `kind`'s series until the transaction ends; `kind`'s row.

    A document's save takes it before its number is checked or taken, so two saves never take
    one number, nor a number typed in the one being taken (on PostgreSQL; SQLite writes one
    transaction at a time anyway). A missing row is made with the defaults.
    """
    kinds = sorted(NUMBER_SERIES[kind])  # one order for every series: no deadlock
    locked = DocumentNumbering.objects.select_for_update().filter(kind__in=kinds).order_by("kind")
    rows = {row.kind: row for row in locked}
    if len(rows) < len(kinds):
        for missing in set(kinds) - set(rows):
            DocumentNumbering.objects.get_or_create(
                kind=missing, defaults={"prefix": DEFAULT_PREFIXES[missing]}
            )
        return document_numbering_lock(kind=kind)
    return rows[kind]


def document_number_peek(*, numbering: DocumentNumbering) -> tuple[int, str]:
    """The next free number of a series (its counter, and the number), leaving it untaken.

    A number typed on a document of the series is skipped. Raises NumberTooLong when the number
    would not fit QBO's DocNumber.
    """
    models = [
        model
        for model in apps.get_models()
        if issubclass(model, PricedDocument) and model.numbering in NUMBER_SERIES[numbering.kind]
    ]
    start = numbering.next_number
    while True:
        candidates = {
            numbering.number(value): value for value in range(start, start + NUMBER_PROBE)
        }
        taken = set()
        for model in models:
            taken.update(
                model._default_manager.filter(number__in=candidates).values_list(
                    "number", flat=True
                )
            )
        free = [(value, number) for number, value in candidates.items() if number not in taken]
        if free:
            value, number = min(free)
            if len(number) > DOC_NUMBER_MAX:
                raise NumberTooLong(
                    f"Type a number, or shorten the prefix of {numbering} under Products → "
                    f"Document numbering: the next one, {number}, has {len(number)} characters, "
                    f"and QuickBooks keeps {DOC_NUMBER_MAX} at most."
                )
            return value, number
        start += NUMBER_PROBE


@transaction.atomic
def document_number_take(*, kind: Kind) -> str:
    """Take the next free number of `kind`'s series and move its counter past it."""
    numbering = document_numbering_lock(kind=kind)
    value, number = document_number_peek(numbering=numbering)
    numbering.next_number = value + 1
    numbering.save(update_fields=["next_number"])
    return number
