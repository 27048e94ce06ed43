"""Documents land in QBO with QBO's total equal to ours, for each kind of company.

The sandbox's seeds: "us-ast" (US, QBO's automated sales tax, QBO numbers the sales forms),
"sample" (US, no sales tax, custom numbers on) and "canada" (GST/HST on every line).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.models import QboAccount, QboConnection, SyncJob, SyncRun
from integrations.outbox.registry import PushContext
from integrations.services.changes import changes_sync_run
from products.services import priced_document_recalculate
from sales.qbo import InvoiceAdapter
from tests import factories
from tests.outbox.conftest import remote
from tests.outbox.test_documents import make_invoice
from tests.sandbox.conftest import set_preferences

pytestmark = pytest.mark.django_db


@pytest.fixture
def excise(synced):
    tax = factories.TaxFactory(name="Excise Tax", rate=Decimal("15"))
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    return tax


def sales_lines(body: dict) -> list[dict]:
    return [line for line in body["Line"] if line["DetailType"] == "SalesItemLineDetail"]


@pytest.mark.parametrize("qbo_seed", ["us-ast", "sample"], indirect=True)
def test_an_invoice_with_excise_and_its_payment_leave_qbo_equal_to_ours(
    qbo_seed, synced, push, excise
):
    """QBO's total is ours, the payment closes it, and the hourly check flags nothing."""
    invoice = make_invoice(push, excise)
    body = remote(synced, "Invoice", invoice.qbo_id)
    assert Decimal(str(body["TotalAmt"])) == invoice.total == Decimal("85.35")
    assert body["TxnTaxDetail"]["TotalTax"] == 0
    codes = {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sales_lines(body)}
    assert codes == {"NON"}

    with push():
        factories.InvoicePaymentFactory(invoice=invoice, amount=invoice.total)
    assert remote(synced, "Invoice", invoice.qbo_id)["Balance"] == 0
    assert changes_sync_run().status == SyncRun.Status.SUCCEEDED
    assert not SyncJob.objects.exclude(remote_change="").exists()


@pytest.mark.parametrize(
    ("qbo_seed", "line_codes", "tax_detail"),
    [("us-ast", [{"value": "NON"}] * 2, {"TotalTax": 0}), ("sample", [None] * 2, None)],
    indirect=["qbo_seed"],
)
def test_tax_fields_are_sent_only_where_qbo_would_add_sales_tax(
    qbo_seed, synced, excise, line_codes, tax_detail
):
    """Under AST, NON on every line (excise too) and a TotalTax of 0, so QBO adds nothing.
    Without sales tax, neither: QBO marks lines NON itself, and the body stays as recorded
    real QBO accepted it."""
    invoice = factories.InvoiceFactory()
    factories.InvoiceLineFactory(invoice=invoice)
    factories.InvoiceTaxLineFactory(invoice=invoice, tax=excise)
    body = InvoiceAdapter().payload(invoice, context=PushContext(QboConnection.objects.get()))
    assert [line["SalesItemLineDetail"].get("TaxCodeRef") for line in sales_lines(body)] == (
        line_codes
    )
    assert body.get("TxnTaxDetail") == tax_detail


@pytest.mark.parametrize("qbo_seed", ["us-ast"], indirect=True)
def test_a_credit_memo_under_automated_sales_tax_totals_the_same(qbo_seed, synced, push):
    with push():
        sales_return = factories.SalesReturnFactory()
        factories.SalesReturnLineFactory(
            sales_return=sales_return, quantity=Decimal(4), unit_price=Decimal("12.50")
        )
        priced_document_recalculate(document=sales_return)
    sales_return.refresh_from_db()
    body = remote(synced, "CreditMemo", sales_return.qbo_id)
    assert Decimal(str(body["TotalAmt"])) == sales_return.total == Decimal("50.00")
    assert body["Balance"] == 50


@pytest.mark.parametrize("qbo_seed", ["us-ast"], indirect=True)
def test_with_custom_numbers_off_qbo_numbers_the_invoice_and_nothing_is_flagged(
    qbo_seed, synced, push, excise
):
    """Intuit: with CustomTxnNumbers off, send no DocNumber. An update keeps QBO's number."""
    invoice = make_invoice(push, excise)
    number = remote(synced, "Invoice", invoice.qbo_id)["DocNumber"]
    assert number == "1001" != invoice.number
    with push():
        invoice.notes = "Deliver to the back door"
        invoice.save()
    assert remote(synced, "Invoice", invoice.qbo_id)["DocNumber"] == number
    changes_sync_run()
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == ""


@pytest.mark.parametrize("qbo_seed", ["canada"], indirect=True)
def test_outside_the_us_no_document_is_sent_and_the_job_says_what_to_do(
    qbo_seed, synced, push, excise
):
    """QBO would refuse every line without a GST/HST code: nothing bound to fail is sent."""
    invoice = make_invoice(push, excise)
    with push():
        factories.InvoicePaymentFactory(invoice=invoice, amount=invoice.total)
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.status == SyncJob.Status.FAILED
    assert job.last_error.startswith("Enter it in QuickBooks yourself, or connect a US")
    assert "in Canada" in job.last_error
    assert SyncJob.objects.get(qbo_entity="Payment").status != SyncJob.Status.SUCCEEDED
    assert not synced.api_requests(entity="Invoice") and not synced.api_requests(entity="Payment")
    assert invoice.customer.__class__.objects.get(pk=invoice.customer.pk).qbo_id  # names sync


@pytest.mark.parametrize("qbo_seed", ["canada"], indirect=True)
def test_outside_the_us_no_bill_is_sent_either(qbo_seed, synced, push):
    with push():
        order = factories.PurchaseOrderFactory()
        factories.PurchaseOrderLineFactory(purchase_order=order)
        priced_document_recalculate(document=order)
        order.status = order.Status.COMPLETED
        order.save()
    assert SyncJob.objects.get(qbo_entity="Bill").status == SyncJob.Status.FAILED
    assert not synced.api_requests(entity="Bill")


@pytest.mark.parametrize(
    ("qbo_seed", "country", "using", "ast_on", "custom"),
    [("us-ast", "US", True, True, False), ("sample", "US", False, False, True),
     ("canada", "CA", True, False, False)],
    indirect=["qbo_seed"],
)  # fmt: skip
def test_connecting_reads_the_country_sales_tax_and_numbering(
    qbo_seed, synced, country, using, ast_on, custom
):
    connection = QboConnection.objects.get()
    assert connection.country == country
    assert (connection.sales_tax_enabled, connection.automated_sales_tax) == (using, ast_on)
    assert connection.custom_txn_numbers is custom


@pytest.mark.parametrize("qbo_seed", ["us-ast"], indirect=True)
def test_the_hourly_sync_reads_the_preferences_again_once_they_are_a_day_old(qbo_seed, synced):
    """Preferences are no CDC entity: a quiet hour costs the CDC read alone, and they are read
    again when a day old (at once when a webhook says they changed, or something else did)."""
    set_preferences(synced, SalesFormsPrefs={"CustomTxnNumbers": True},
                    TaxPrefs={"UsingSalesTax": False})  # fmt: skip
    changes_sync_run()  # the overlap replays the import's default items: nothing new
    synced.control("requests/clear")
    changes_sync_run()
    assert [r["operation"] for r in synced.api_requests(method="GET")] == ["cdc"]
    assert not QboConnection.objects.get().custom_txn_numbers

    QboConnection.objects.update(preferences_read_at=timezone.now() - timedelta(days=1))
    changes_sync_run()
    connection = QboConnection.objects.get()
    assert connection.custom_txn_numbers and not connection.sales_tax_enabled
    reads = [r["entity"] or r["operation"] for r in synced.api_requests(method="GET")]
    assert reads == ["cdc", "cdc", "Preferences"]  # the country is read at connect, not hourly
