"""Every document shows its balance due; a payment larger than what its invoice or bill has
open is refused when it is saved, on its own page and on the document's."""

from decimal import Decimal

import pytest
from django.urls import reverse

from products.services import priced_document_recalculate
from purchases.models import PurchasePayment
from sales.models import InvoicePayment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice():
    """An invoice of 250.00 (10 × 25.00) with 100.00 paid: 150.00 open."""
    invoice = factories.InvoiceFactory(number="INV-BAL-1")
    factories.InvoiceLineFactory(invoice=invoice)
    priced_document_recalculate(document=invoice)
    factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("100.00"))
    return invoice


def _payment_data(invoice, amount):
    return {"invoice": invoice.pk, "amount": amount, "paid_on": "2026-11-20", "method": "ach"}


def test_a_payment_above_the_open_balance_is_refused_on_its_page(admin_client, invoice):
    response = admin_client.post(
        reverse("admin:sales_invoicepayment_add"), _payment_data(invoice, "150.01")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"] == [
        "Enter 150.00 at most: that is the balance Invoice INV-BAL-1 still has open (total "
        "250.00, paid 100.00), and a payment may not exceed it."
    ]
    assert InvoicePayment.objects.count() == 1


def test_a_payment_of_the_open_balance_is_saved_and_a_paid_invoice_takes_no_more(
    admin_client, invoice
):
    url = reverse("admin:sales_invoicepayment_add")
    assert admin_client.post(url, _payment_data(invoice, "150.00")).status_code == 302
    response = admin_client.post(url, _payment_data(invoice, "0.01"))
    assert response.context["adminform"].form.errors["amount"] == [
        "Record no further payment on Invoice INV-BAL-1: it is paid in full (its total is 250.00)."
    ]
    assert InvoicePayment.objects.count() == 2


def test_editing_a_payment_counts_the_others_only(admin_client, invoice):
    payment = invoice.payments.get()
    url = reverse("admin:sales_invoicepayment_change", args=[payment.pk])
    assert admin_client.post(url, _payment_data(invoice, "250.00")).status_code == 302
    payment.refresh_from_db()
    assert payment.amount == Decimal("250.00")


def _invoice_page_data(invoice, *, quantity, payments):
    line = invoice.lines.get()
    data = {
        "number": invoice.number,
        "customer": invoice.customer.pk,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-id": line.pk,
        "lines-0-invoice": invoice.pk,
        "lines-0-product": line.product.pk,
        "lines-0-description": line.description,
        "lines-0-quantity": quantity,
        "lines-0-unit_price": "25.00",
        "tax_lines-TOTAL_FORMS": "0",
        "tax_lines-INITIAL_FORMS": "0",
        "payments-TOTAL_FORMS": str(len(payments)),
        "payments-INITIAL_FORMS": "1",
    }
    for index, (payment_id, amount) in enumerate(payments):
        data |= {
            f"payments-{index}-id": payment_id or "",
            f"payments-{index}-invoice": invoice.pk,
            f"payments-{index}-paid_on": "2026-11-20",
            f"payments-{index}-amount": amount,
            f"payments-{index}-method": "ach",
            f"payments-{index}-reference": "",
        }
    return data


def test_the_invoice_page_refuses_payments_beyond_the_total_its_lines_now_make(
    admin_client, invoice
):
    url = reverse("admin:sales_invoice_change", args=[invoice.pk])
    existing = invoice.payments.get().pk

    # A new payment of 200 on top of the 100: 300 against 250.
    response = admin_client.post(
        url, _invoice_page_data(invoice, quantity="10", payments=[(existing, "100"), (None, "200")])
    )
    assert response.status_code == 200
    assert "the payments add up to 300.00, more than this document&#x27;s total of 250.00" in (
        response.content.decode()
    )
    assert invoice.payments.count() == 1

    # Lines cut to 4 × 25 = 100 while 100 is paid: the payments still fit.
    response = admin_client.post(
        url, _invoice_page_data(invoice, quantity="4", payments=[(existing, "100")])
    )
    assert response.status_code == 302
    # Cut to 3 × 25 = 75: the payment of 100 no longer does.
    response = admin_client.post(
        url, _invoice_page_data(invoice, quantity="3", payments=[(existing, "100")])
    )
    assert "more than this document&#x27;s total of 75.00" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.total == Decimal("100.00")


def test_a_purchase_payment_above_the_order_balance_is_refused(admin_client):
    order = factories.PurchaseOrderLineFactory().purchase_order  # 100 × 12.50
    priced_document_recalculate(document=order)
    response = admin_client.post(
        reverse("admin:purchases_purchasepayment_add"),
        {
            "purchase_order": order.pk,
            "amount": "1250.01",
            "paid_on": "2026-11-20",
            "method": "check",
        },
    )
    assert "Enter 1,250.00 at most" in response.context["adminform"].form.errors["amount"][0]
    assert not PurchasePayment.objects.exists()


def test_invoices_orders_and_returns_show_their_balance_on_the_list_and_the_page(
    admin_client, invoice
):
    order = factories.PurchaseOrderLineFactory().purchase_order
    priced_document_recalculate(document=order)
    factories.PurchasePaymentFactory(purchase_order=order, amount=Decimal("250.00"))
    sales_return = factories.SalesReturnLineFactory().sales_return
    priced_document_recalculate(document=sales_return)
    purchase_return = factories.PurchaseReturnLineFactory().purchase_return
    priced_document_recalculate(document=purchase_return)
    cases = [
        ("sales_invoice", invoice, "balance_due", "150.00"),
        ("purchases_purchaseorder", order, "balance_due", "1000.00"),
        ("sales_salesreturn", sales_return, "credit_remaining", "25.00"),
        ("purchases_purchasereturn", purchase_return, "credit_remaining", "62.50"),
    ]
    for admin_name, document, column, balance in cases:
        listed = admin_client.get(reverse(f"admin:{admin_name}_changelist"))
        assert column in listed.context["cl"].list_display
        assert f'<td class="field-{column}">{balance}</td>' in listed.content.decode()
        page = admin_client.get(reverse(f"admin:{admin_name}_change", args=[document.pk]))
        shown = page.content.decode().split(f"field-{column}")[1]
        assert f'<div class="readonly">{balance}</div>' in shown
