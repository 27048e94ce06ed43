"""Line amounts, tax lines and totals, to the cent."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distru_qbo.money import percent_of, round_cents
from products.services import priced_document_recalculate
from tests import factories

pytestmark = pytest.mark.django_db


def test_invoice_totals_and_excise_line_to_the_cent():
    invoice = factories.InvoiceFactory()
    factories.InvoiceLineFactory(
        invoice=invoice, quantity=Decimal("3"), unit_price=Decimal("19.99")
    )
    factories.InvoiceLineFactory(
        invoice=invoice, quantity=Decimal("0.5"), unit_price=Decimal("7.25")
    )
    factories.InvoiceTaxLineFactory(invoice=invoice, tax=factories.TaxFactory(rate=Decimal("15")))

    priced_document_recalculate(document=invoice)

    invoice.refresh_from_db()
    assert [line.amount for line in invoice.lines.all()] == [Decimal("59.97"), Decimal("3.63")]
    tax_line = invoice.tax_lines.get()
    assert (tax_line.rate, tax_line.taxable_amount, tax_line.amount) == (
        Decimal("15.0000"),
        Decimal("63.60"),
        Decimal("9.54"),
    )
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("63.60"),
        Decimal("9.54"),
        Decimal("73.14"),
    )


def test_purchase_order_tax_lines_use_the_tax_rate_of_today():
    order = factories.PurchaseOrderFactory()
    factories.PurchaseOrderLineFactory(
        purchase_order=order, quantity=100, unit_price=Decimal("12.345")
    )
    tax = factories.TaxFactory(name="Cultivation Tax", rate=Decimal("2.5"))
    factories.PurchaseOrderTaxLineFactory(purchase_order=order, tax=tax)
    priced_document_recalculate(document=order)
    order.refresh_from_db()
    assert (order.subtotal, order.tax_total, order.total) == (
        Decimal("1234.50"),
        Decimal("30.86"),
        Decimal("1265.36"),
    )


def test_returns_without_taxes_total_their_lines():
    sales_return = factories.SalesReturnFactory()
    factories.SalesReturnLineFactory(
        sales_return=sales_return, quantity=2, unit_price=Decimal("10.005")
    )
    priced_document_recalculate(document=sales_return)
    assert (sales_return.subtotal, sales_return.tax_total, sales_return.total) == (
        Decimal("20.01"),
        Decimal("0.00"),
        Decimal("20.01"),
    )


def test_an_empty_document_totals_zero():
    invoice = factories.InvoiceFactory()
    priced_document_recalculate(document=invoice)
    assert invoice.total == Decimal("0.00")


@pytest.mark.django_db(False)
@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False),
)
def test_percent_of_rounds_half_up_and_never_drifts_a_cent(base, rate):
    exact = base * rate / 100
    result = percent_of(base, rate)
    assert result == round_cents(exact)
    assert abs(result - exact) <= Decimal("0.005")
