"""The product admin's SQL stays flat as the catalog grows: 10,000 products cost what 10 do."""

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import Product
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:products_product_changelist")
CATALOG_SIZE = 10_000


def _add_products(count, *, start=0, sales_item=None):
    """Products made in bulk, every other one mapped on the sales side."""
    Product.objects.bulk_create(
        Product(
            name=f"Product {n:05d}",
            sku=f"BULK-{n:05d}",
            sales_qbo_item=sales_item if n % 2 else None,
        )
        for n in range(start, start + count)
    )


def test_bulk_update_of_10000_products_is_one_update_one_read_and_its_history_in_bulk(
    admin_client,
):
    """One UPDATE, one read of the mappings it replaces, and a History line per product
    inserted in batches."""
    sales, purchase = factories.QboItemFactory(), factories.QboItemFactory()
    _add_products(CATALOG_SIZE)
    one_page = list(Product.objects.values_list("pk", flat=True)[:100])

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.post(
            CHANGELIST_URL,
            {
                "action": "bulk_update_qbo_items",
                helpers.ACTION_CHECKBOX_NAME: one_page,
                "select_across": "1",
                "post": "yes",
                "sales_qbo_item": sales.pk,
                "purchase_qbo_item": purchase.pk,
            },
        )

    assert response.status_code == 302
    assert Product.objects.filter(sales_qbo_item=sales, purchase_qbo_item=purchase).count() == (
        CATALOG_SIZE
    )
    statements = [query["sql"] for query in captured.captured_queries]
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert sum(sql.startswith("UPDATE") for sql in statements) == 1
    assert all(sql.startswith('INSERT INTO "django_admin_log"') for sql in inserts)
    assert len(inserts) <= CATALOG_SIZE // 100  # a batch holds 142 rows on SQLite, 1000 elsewhere
    # Besides: the session, the user, a count, the items, the content type, one read of the
    # mappings replaced, the UPDATE, and the savepoint around them (two statements).
    assert len(statements) - len(inserts) <= 9, statements
    assert LogEntry.objects.count() == CATALOG_SIZE


def test_the_product_changelist_costs_the_same_queries_with_10000_products_as_with_10(
    admin_client,
):
    sales = factories.QboItemFactory()
    _add_products(10, sales_item=sales)
    admin_client.get(CHANGELIST_URL)  # warms the per-process caches (content types, templates)

    with CaptureQueriesContext(connection) as with_10:
        admin_client.get(CHANGELIST_URL)
    _add_products(CATALOG_SIZE - 10, start=10, sales_item=sales)
    with CaptureQueriesContext(connection) as with_10000:
        response = admin_client.get(CHANGELIST_URL)

    assert response.context["cl"].result_count == CATALOG_SIZE
    assert len(with_10000) == len(with_10), [q["sql"] for q in with_10000.captured_queries]
