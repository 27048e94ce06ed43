"""An SQLite database holding an overflowed invoice (as the old forms allowed) migrates, and its
list, change and delete pages then answer instead of failing on the unreadable amounts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from sales.models import Invoice, InvoiceLine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="PostgreSQL's numeric columns never held an amount past their range",
    ),
]

MIGRATION_SUFFIX = "_amounts_fit_their_columns"
OVERFLOWED = Decimal("999999999999980000000.00")


def constraint_migrations(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """The migrations that add the amount CHECKs, found by name (numbers change on merge)."""
    return [key for key in executor.loader.graph.nodes if key[1].endswith(MIGRATION_SUFFIX)]


def test_an_overflowed_invoice_is_brought_in_range_and_its_pages_answer(admin_client):
    executor = MigrationExecutor(connection)
    ours = constraint_migrations(executor)
    assert {app for app, _ in ours} == {"sales", "purchases"}
    before = [
        parent for key in ours for parent in executor.loader.graph.node_map[key].parents
        if parent.key[0] == key[0]
    ]  # fmt: skip
    executor.migrate([parent.key for parent in before])
    old = executor.loader.project_state([parent.key for parent in before]).apps
    customer = old.get_model("sales", "Customer").objects.create(name="Mary's Dispensary")
    product = old.get_model("products", "Product").objects.create(name="Kush", sku="K-1")
    invoice = old.get_model("sales", "Invoice").objects.create(
        number="INV-1", customer=customer, subtotal=OVERFLOWED, total=OVERFLOWED
    )
    old.get_model("sales", "InvoiceLine").objects.create(
        invoice=invoice,
        product=product,
        quantity=Decimal("99999999999.999"),
        unit_price=Decimal("9999999999.9999"),
        amount=OVERFLOWED,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    invoice = Invoice.objects.get(number="INV-1")
    assert (invoice.subtotal, invoice.total) == (Decimal("0.00"), Decimal("0.00"))
    line = InvoiceLine.objects.get()
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal("99999999999.999"),
        Decimal("9999999999.9999"),
        Decimal("0.00"),
    )
    for view, args in (("changelist", []), ("change", [invoice.pk]), ("delete", [invoice.pk])):
        response = admin_client.get(reverse(f"admin:sales_invoice_{view}", args=args))
        assert response.status_code == 200, view
