"""Property: for any invoice or bill we can write, QBO's total equals ours to the cent."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import QboAccount
from products.services import priced_document_recalculate
from purchases.models import PurchaseOrder
from tests import factories
from tests.outbox.test_documents import remote

pytestmark = pytest.mark.django_db
numbers = itertools.count(1)

lines_strategy = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3),
        st.decimals(min_value=Decimal("0"), max_value=Decimal("2000"), places=4),
    ),
    min_size=1,
    max_size=5,
)
rate_strategy = st.decimals(min_value=Decimal("0"), max_value=Decimal("40"), places=4)
EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _tax(rate):
    tax = factories.TaxFactory(name=f"Tax {next(numbers)}", rate=rate)
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    return tax


@EXAMPLES
@given(lines=lines_strategy, rate=rate_strategy)
def test_qbo_invoice_total_matches_ours(synced, django_capture_on_commit_callbacks, lines, rate):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = factories.InvoiceFactory(number=f"P-{next(numbers)}")
        for quantity, price in lines:
            factories.InvoiceLineFactory(invoice=invoice, quantity=quantity, unit_price=price)
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=_tax(rate))
        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    assert Decimal(str(remote(synced, "Invoice", invoice.qbo_id)["TotalAmt"])) == invoice.total


@EXAMPLES
@given(lines=lines_strategy, rate=rate_strategy)
def test_qbo_bill_total_matches_ours(synced, django_capture_on_commit_callbacks, lines, rate):
    with django_capture_on_commit_callbacks(execute=True):
        order = factories.PurchaseOrderFactory(
            number=f"P-{next(numbers)}", status=PurchaseOrder.Status.COMPLETED
        )
        for quantity, price in lines:
            factories.PurchaseOrderLineFactory(
                purchase_order=order, quantity=quantity, unit_price=price
            )
        factories.PurchaseOrderTaxLineFactory(purchase_order=order, tax=_tax(rate))
        priced_document_recalculate(document=order)
    order.refresh_from_db()
    assert Decimal(str(remote(synced, "Bill", order.qbo_id)["TotalAmt"])) == order.total
