from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from distru_qbo.money import ZERO, percent_of, round_cents
from integrations.models import QboItem
from products.models import PricedDocument, Product


@transaction.atomic
def priced_document_recalculate(*, document: PricedDocument) -> PricedDocument:
    """Recompute each line's amount, each tax line, and the document's stored totals."""
    lines = list(getattr(document, document.lines_relation).all())
    for line in lines:
        line.amount = round_cents(line.quantity * line.unit_price)
    if lines:
        type(lines[0]).objects.bulk_update(lines, ["amount"])
    subtotal = sum((line.amount for line in lines), ZERO)

    tax_total = ZERO
    if document.tax_lines_relation:
        tax_lines = list(getattr(document, document.tax_lines_relation).select_related("tax"))
        for tax_line in tax_lines:
            tax_line.rate = tax_line.tax.rate
            tax_line.taxable_amount = subtotal
            tax_line.amount = percent_of(subtotal, tax_line.rate)
            tax_total += tax_line.amount
        if tax_lines:
            type(tax_lines[0]).objects.bulk_update(tax_lines, ["rate", "taxable_amount", "amount"])

    document.subtotal = subtotal
    document.tax_total = tax_total
    document.total = subtotal + tax_total
    document.save(update_fields=["subtotal", "tax_total", "total"])
    return document


def product_mapping_bulk_update(
    *,
    products: QuerySet[Product],
    sales_item: QboItem | None = None,
    purchase_item: QboItem | None = None,
) -> int:
    """Map every product of `products` to the given items in one UPDATE; a None side is kept.

    Returns how many products were updated.
    """
    changes = {"sales_qbo_item": sales_item, "purchase_qbo_item": purchase_item}
    changes = {field: item for field, item in changes.items() if item is not None}
    if not changes:
        raise ValueError("Give a sales item, a purchase item or both.")
    # update() bypasses auto_now, so the timestamp is set here.
    return products.update(**changes, updated_at=timezone.now())
