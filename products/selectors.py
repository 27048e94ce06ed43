"""Reads of products, as querysets."""

from django.db.models import Q, QuerySet

from products.models import Product

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
