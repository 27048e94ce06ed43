"""A document saved without a number takes the next of its series (prefix and counter, under
Products → Document numbering), skipping numbers typed in; numbers stay editable, unique across
QBO's sales series, never longer than QBO's 21 characters, and distinct under concurrent saves."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from products.models import DocumentNumbering
from purchases.models import PurchaseOrder, PurchaseReturn
from sales.models import Invoice, SalesReturn
from tests import factories
from tests.foundation.test_amount_limits import header, inline

pytestmark = pytest.mark.django_db
Kind = DocumentNumbering.Kind


def post_document(client, model, *, number="", product=None, pk=None, party=None):
    product = product or factories.ProductFactory()
    data = {**header(model), "number": number}
    if party is not None:
        data[model.party_field] = party.pk
    data.update(inline("lines", [{"product": product.pk, "quantity": "1", "unit_price": "10"}]))
    if model in (Invoice, PurchaseOrder):
        data.update({**inline("tax_lines", []), **inline("payments", [])})
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    url = reverse(f"{name}_change", args=[pk]) if pk else reverse(f"{name}_add")
    return client.post(url, data)


def numbering(kind) -> DocumentNumbering:
    return DocumentNumbering.objects.get(kind=kind)


@pytest.mark.parametrize(
    "model, first",
    [(Invoice, "INV-1001"), (SalesReturn, "RMA-1001"), (PurchaseOrder, "PO-1001"),
     (PurchaseReturn, "VRMA-1001")],
)  # fmt: skip
def test_a_document_left_without_a_number_takes_the_next_of_its_series(admin_client, model, first):
    post_document(admin_client, model)
    post_document(admin_client, model)

    assert sorted(model.objects.values_list("number", flat=True)) == [first, first[:-1] + "2"]
    assert numbering(model.numbering).next_number == 1003


def test_the_add_page_shows_the_number_it_would_take(admin_client):
    page = admin_client.get(reverse("admin:sales_invoice_add")).content.decode()

    assert 'placeholder="INV-1001"' in page


def test_a_number_typed_ahead_of_the_counter_is_skipped(admin_client):
    factories.InvoiceFactory(number="INV-1001")
    factories.InvoiceFactory(number="INV-1002")

    post_document(admin_client, Invoice)

    assert Invoice.objects.latest("id").number == "INV-1003"
    assert numbering(Kind.INVOICE).next_number == 1004


def test_invoices_and_returns_sharing_a_prefix_never_share_a_number(admin_client):
    """QBO numbers invoices and credit memos in one series: each counter skips the other's."""
    DocumentNumbering.objects.filter(kind__in=[Kind.INVOICE, Kind.SALES_RETURN]).update(prefix="S")

    post_document(admin_client, Invoice)
    post_document(admin_client, SalesReturn)

    assert Invoice.objects.get().number == "S1001"
    assert SalesReturn.objects.get().number == "S1002"


def test_the_prefix_and_the_next_number_are_set_in_the_admin(admin_client):
    url = reverse("admin:products_documentnumbering_change", args=[numbering(Kind.INVOICE).pk])
    admin_client.post(url, {"prefix": "SO-", "next_number": "7"})

    post_document(admin_client, Invoice)

    assert Invoice.objects.get().number == "SO-7"


def test_a_prefix_too_long_for_quickbooks_is_refused_in_the_admin(admin_client):
    url = reverse("admin:products_documentnumbering_change", args=[numbering(Kind.INVOICE).pk])
    response = admin_client.post(url, {"prefix": "DISTRU-SALES", "next_number": "1234567890"})

    assert "DISTRU-SALES1234567890 has 22 characters, and QuickBooks keeps 21 at most" in (
        response.content.decode()
    )
    assert numbering(Kind.INVOICE).prefix == "INV-"


def test_a_series_grown_too_long_says_to_type_a_number_and_saves_nothing(admin_client):
    DocumentNumbering.objects.filter(kind=Kind.INVOICE).update(
        prefix="DISTRU-SALES", next_number=999_999_999
    )
    factories.InvoiceFactory(number="DISTRU-SALES999999999")  # the next, 10 digits, is too long

    response = post_document(admin_client, Invoice)

    assert response.status_code == 200
    assert "Type a number, or shorten the prefix of Invoices" in response.content.decode()
    assert Invoice.objects.count() == 1
    assert numbering(Kind.INVOICE).next_number == 999_999_999


def test_a_typed_number_is_kept_and_the_counter_stays(admin_client):
    post_document(admin_client, Invoice, number="CUSTOM-9")

    assert Invoice.objects.get().number == "CUSTOM-9"
    assert numbering(Kind.INVOICE).next_number == 1001


def test_a_number_stays_editable_and_cleared_takes_the_next(admin_client):
    invoice = factories.InvoiceFactory(number="INV-1001")
    factories.InvoiceLineFactory(invoice=invoice)
    customer = invoice.customer

    post_document(admin_client, Invoice, number="INV-77", pk=invoice.pk, party=customer)
    invoice.refresh_from_db()
    assert invoice.number == "INV-77"

    post_document(admin_client, Invoice, number="", pk=invoice.pk, party=customer)
    invoice.refresh_from_db()
    assert invoice.number == "INV-1001"  # free again since the invoice was renumbered


def test_a_typed_number_another_document_of_the_series_holds_is_refused(admin_client):
    factories.SalesReturnFactory(number="INV-1001")

    response = post_document(admin_client, Invoice, number="INV-1001")

    assert "Sales return INV-1001 already has it" in response.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_take_distinct_numbers_and_a_typed_one_is_never_doubled(
    django_user_model,
):
    """Eight saves at once, one typing the number the others are about to reach: every save
    ends in a page (no server error), and no number is held twice."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are a PostgreSQL guarantee")
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    product = factories.ProductFactory(unit_price=Decimal("10"))
    customer = factories.CustomerFactory()
    start = threading.Barrier(8, timeout=30)
    statuses = []

    def save(number: str) -> None:
        client = Client()
        client.force_login(user)
        start.wait()
        try:
            response = post_document(
                client, Invoice, number=number, product=product, party=customer
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    typed = ["", "", "", "INV-1004", "", "", "", ""]
    threads = [threading.Thread(target=save, args=(number,), daemon=True) for number in typed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    assert statuses.count(302) == len(numbers) >= 7
    assert set(statuses) <= {200, 302}  # a refused typed number is a form error, never a 500
    assert {f"INV-{n}" for n in range(1001, 1008)} <= set(numbers)
