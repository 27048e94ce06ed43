"""Invoices and sales returns share QBO's sales number series: the admin refuses a repeat."""

import pytest
from django.urls import reverse

from sales.models import Invoice, SalesReturn
from tests import factories

pytestmark = pytest.mark.django_db

NO_LINES = {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
REFUSED = "QuickBooks numbers invoices and returns (credit memos) in one series."


def test_a_sales_return_may_not_take_an_invoice_number(admin_client):
    invoice = factories.InvoiceFactory(number="INV-42")
    data = {"number": "INV-42", "customer": invoice.customer.pk, "return_date": "2026-11-09",
            "reason": "", **NO_LINES}  # fmt: skip
    response = admin_client.post(reverse("admin:sales_salesreturn_add"), data)

    assert response.status_code == 200
    assert f"Choose another number: Invoice INV-42 already has it, and {REFUSED}" in (
        response.content.decode()
    )
    assert not SalesReturn.objects.exists()


def test_an_invoice_may_not_take_a_sales_return_number(admin_client):
    sales_return = factories.SalesReturnFactory(number="RMA-7")
    data = {"number": "RMA-7", "customer": sales_return.customer.pk,
            "invoice_date": "2026-11-02", "due_date": "", "notes": "", **NO_LINES,
            "tax_lines-TOTAL_FORMS": "0", "tax_lines-INITIAL_FORMS": "0",
            "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "0"}  # fmt: skip
    response = admin_client.post(reverse("admin:sales_invoice_add"), data)

    assert response.status_code == 200
    assert "Choose another number: Sales return RMA-7 already has it" in response.content.decode()
    assert not Invoice.objects.exists()
