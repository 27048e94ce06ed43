"""Reads of products and of the documents they are sold and bought on, as querysets."""

from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from distru_qbo.money import money_total, round_cents
from products.models import MONEY, DocumentNumbering, PricedDocument, Product
from products.services import DEFAULT_PREFIXES, NumberTooLong, document_number_peek

# The two sides a product is mapped on, and the field that holds each side's QBO item.
MAPPING_FIELDS = {"sales": "sales_qbo_item", "purchase": "purchase_qbo_item"}


def products_without_mapping(
    *, side: str | None = None, products: QuerySet[Product] | None = None
) -> QuerySet[Product]:
    """Products with no QBO item on `side` ("sales" or "purchase"), or on either side if None.

    Such a product falls back to a default item on that side.
    """
    products = Product.objects.all() if products is None else products
    fields = [MAPPING_FIELDS[side]] if side else MAPPING_FIELDS.values()
    unmapped = Q()
    for field in fields:
        unmapped |= Q(**{f"{field}__isnull": True})
    return products.filter(unmapped)


def products_fully_mapped(*, products: QuerySet[Product] | None = None) -> QuerySet[Product]:
    """Products with a QBO item on both sides, so that neither falls back to a default."""
    products = Product.objects.all() if products is None else products
    return products.filter(**{f"{field}__isnull": False for field in MAPPING_FIELDS.values()})


def documents_with_balance(documents: QuerySet[PricedDocument]) -> QuerySet[PricedDocument]:
    """Annotate each document with `balance_due`: its total less the payments applied to it.

    A return, which nothing pays, keeps its total: the credit not used yet.
    """
    relation = documents.model.payments_relation
    if relation is None:
        return documents.annotate(balance_due=F("total"))
    payments = documents.model._meta.get_field(relation)
    paid = (
        payments.related_model.objects.filter(**{payments.field.name: OuterRef("pk")})
        .values(payments.field.name)
        .annotate(paid=Sum("amount"))
        .values("paid")
    )
    money = DecimalField(**MONEY)
    return documents.annotate(
        balance_due=ExpressionWrapper(
            F("total") - Coalesce(Subquery(paid), Value(Decimal("0")), output_field=money),
            output_field=money,
        )
    )


def document_paid(document: PricedDocument, *, excluding_pk=None) -> Decimal:
    """What the payments applied to `document` add up to, less the one being edited."""
    payments = getattr(document, document.payments_relation).exclude(pk=excluding_pk)
    return round_cents(money_total(payments, "amount"))  # SQLite sums 100.00 as 100


def document_number_preview(*, kind: DocumentNumbering.Kind) -> str | None:
    """The number a document of `kind` left without one would take now (not reserved)."""
    numbering = DocumentNumbering.objects.filter(kind=kind).first()
    if numbering is None:
        numbering = DocumentNumbering(kind=kind, prefix=DEFAULT_PREFIXES[kind])
    try:
        return document_number_peek(numbering=numbering)[1]
    except NumberTooLong:
        return None
