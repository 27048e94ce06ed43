"""Document numbers QBO refuses to repeat: what the product sends, and what it says on a 6140."""

from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.models import SyncJob
from purchases.models import PurchaseOrder
from sales.models import Invoice
from tests import factories
from tests.foundation.test_amount_limits import header, inline
from tests.outbox.conftest import remote
from tests.outbox.test_documents import completed_order
from tests.sandbox.conftest import set_other_pref

pytestmark = pytest.mark.django_db

LINE = {"Amount": 5, "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip


def test_a_purchase_payment_reference_goes_to_the_memo_so_it_may_repeat(synced, push):
    """Two payments with the reference "ACH" both land; DocNumber (the check number) is unset."""
    order = completed_order(push)
    with push():
        first = factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("100"), reference="ACH"
        )
        second = factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("50"), reference="ACH"
        )
    for payment in (first, second):
        payment.refresh_from_db()
        body = remote(synced, "BillPayment", payment.qbo_id)
        assert body["PrivateNote"] == "ACH"
        assert "DocNumber" not in body
    assert not SyncJob.objects.filter(status=SyncJob.Status.FAILED).exists()


def test_an_invoice_number_taken_in_qbo_fails_with_what_to_do_and_lands_once_renumbered(
    synced, push
):
    """The job says which transaction holds the number and how to fix it; nothing is lost."""
    customer = factories.CustomerFactory()
    with push():
        customer.save()
    customer.refresh_from_db()
    held = synced.api("POST", "invoice", json={"CustomerRef": {"value": customer.qbo_id},
                                               "DocNumber": "INV-500", "Line": [LINE]})  # fmt: skip
    with push():
        invoice = factories.InvoiceFactory(customer=customer, number="INV-500")
        factories.InvoiceLineFactory(invoice=invoice)
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "6140")
    holder = held.json()["Invoice"]["Id"]
    assert f"DocNumber=INV-500 is assigned to TxnType=Invoice with TxnId={holder}" in job.last_error
    assert "Give this record a number no other QuickBooks transaction uses" in job.last_error
    invoice.refresh_from_db()
    assert (invoice.qbo_id, invoice.number) == ("", "INV-500")

    invoice.number = "INV-501"
    with push():
        invoice.save()
    invoice.refresh_from_db()
    assert remote(synced, "Invoice", invoice.qbo_id)["DocNumber"] == "INV-501"


def test_a_bill_number_the_vendor_already_has_in_qbo_fails_with_what_to_do(synced, push):
    """With QBO's duplicate-bill warning on, a completed PO numbered like a bill is refused."""
    set_other_pref(synced, "WarnDuplicateBillNumber", True)
    vendor = factories.VendorFactory()
    with push():
        vendor.save()
    vendor.refresh_from_db()
    line = {"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}}  # fmt: skip
    synced.api("POST", "bill", json={"VendorRef": {"value": vendor.qbo_id},
                                     "DocNumber": "PO-900", "Line": [line]})  # fmt: skip
    with push():
        order = factories.PurchaseOrderFactory(
            vendor=vendor, number="PO-900", status=PurchaseOrder.Status.COMPLETED
        )
        factories.PurchaseOrderLineFactory(purchase_order=order)
    job = SyncJob.objects.get(qbo_entity="Bill")
    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "6140")
    assert "TxnType=Bill" in job.last_error
    assert "renumber the one the message names in QuickBooks" in job.last_error


@pytest.mark.parametrize(
    "qbo_seed, keeps_numbers", [("sample", True), ("us-ast", False)], indirect=["qbo_seed"]
)
def test_an_invoice_numbered_here_reaches_qbo_with_its_number_only_where_qbo_keeps_numbers(
    qbo_seed, keeps_numbers, synced, push, admin_client
):
    """Custom transaction numbers off: QBO numbers it itself, and ours is not sent."""
    product = factories.ProductFactory()
    with push():
        admin_client.post(
            reverse("admin:sales_invoice_add"),
            {**header(Invoice), "number": "", **inline("tax_lines", []),
             **inline("payments", []),
             **inline("lines", [{"product": product.pk, "quantity": "2", "unit_price": ""}])},
        )  # fmt: skip
    invoice = Invoice.objects.get()
    assert invoice.number == "INV-1001"
    number = remote(synced, "Invoice", invoice.qbo_id)["DocNumber"]
    assert number == ("INV-1001" if keeps_numbers else "1001")
