"""A customer or vendor made inactive while its balance is open: QBO refuses, the job says why."""

from decimal import Decimal

import pytest

from integrations.models import SyncJob
from integrations.outbox.jobs import sync_jobs_retry
from products.services import priced_document_recalculate
from purchases.models import PurchaseOrder
from tests import factories
from tests.outbox.conftest import remote

pytestmark = pytest.mark.django_db


def pushed_party(push, factory):
    with push():
        party = factory()
    party.refresh_from_db()
    assert party.qbo_id
    return party


def inactivate(push, party):
    party.active = False
    with push():
        party.save()
    return SyncJob.objects.get(qbo_entity=type(party).__name__)


def test_a_customer_who_owes_money_is_not_inactivated_until_paid_and_retried(synced, push):
    """Refused before anything is sent; after the payment, Retry makes it inactive in QBO."""
    customer = pushed_party(push, factories.CustomerFactory)
    with push():
        invoice = factories.InvoiceFactory(customer=customer)
        factories.InvoiceLineFactory(invoice=invoice, quantity=2, unit_price=Decimal("40"))
        priced_document_recalculate(document=invoice)
    synced.control("requests/clear")

    job = inactivate(push, customer)

    assert job.status == SyncJob.Status.FAILED
    assert job.last_error == (
        f"Settle {customer.name}'s open balance of 80.00 first (record the payments or returns "
        "that bring it to zero), then retry: QuickBooks will not make a customer with an open "
        "balance inactive. It stays inactive here and active in QuickBooks."
    )
    assert not synced.api_requests(entity="Customer", operation="update")
    assert remote(synced, "Customer", customer.qbo_id)["Active"] is True
    customer.refresh_from_db()
    assert customer.active is False

    with push():
        factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("80"))
        sync_jobs_retry(job_ids=[job.pk])
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert remote(synced, "Customer", customer.qbo_id)["Active"] is False


def test_a_balance_only_qbo_knows_comes_back_as_qbos_refusal_with_advice(synced, push):
    """An invoice made in QuickBooks: QBO's 6000 is shown with what to do; nothing changes."""
    customer = pushed_party(push, factories.CustomerFactory)
    line = {"Amount": 25, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    body = {"CustomerRef": {"value": customer.qbo_id}, "Line": [line]}
    assert synced.api("POST", "invoice", json=body).status_code == 200

    job = inactivate(push, customer)

    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "6000")
    assert "This customer has an open balance of 25.00" in job.last_error
    assert job.last_error.startswith("Fix the record as QuickBooks says, then press Retry.")
    assert remote(synced, "Customer", customer.qbo_id)["Active"] is True
    customer.refresh_from_db()
    assert customer.active is False


def test_a_vendor_still_owed_for_a_bill_is_not_inactivated(synced, push):
    vendor = pushed_party(push, factories.VendorFactory)
    with push():
        order = factories.PurchaseOrderFactory(vendor=vendor, status=PurchaseOrder.Status.COMPLETED)
        factories.PurchaseOrderLineFactory(
            purchase_order=order, quantity=10, unit_price=Decimal("12.50")
        )
        priced_document_recalculate(document=order)

    job = inactivate(push, vendor)

    assert job.status == SyncJob.Status.FAILED
    assert f"Settle {vendor.name}'s open balance of 125.00 first" in job.last_error
    assert "will not make a vendor with an open balance inactive" in job.last_error
    assert remote(synced, "Vendor", vendor.qbo_id)["Active"] is True
