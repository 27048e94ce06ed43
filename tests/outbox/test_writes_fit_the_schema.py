"""Every write the product makes fits Intuit's schema, and so does everything it leaves in QBO."""

from datetime import timedelta
from decimal import Decimal

import pytest

from distru_qbo.demo import EXCISE_RATE, demo_seed
from integrations.models import QboAccount, QboItem, SyncJob
from purchases.models import PurchaseOrder
from sales.models import Invoice, InvoicePayment, Tax
from tests.sandbox.conftest import schema_misfits

pytestmark = pytest.mark.django_db


@pytest.fixture
def push(django_capture_on_commit_callbacks):
    """Run the block's on-commit hooks, so jobs are enqueued (and, in tests, run) at once."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_representative_run_of_pushes_is_accepted_and_leaves_only_what_qbo_answers(synced, push):
    """The demo's customers, vendors, invoices with Excise Tax, payments, bills, bill payments and
    returns; an item made and edited here; an edit, a deleted payment, a deleted invoice and a
    bill withdrawn: QBO refuses none of the writes, and every object the sandbox then holds
    (deleted ones too) is what QBO itself would answer, property by property."""
    excise_account = QboAccount.objects.get(name="Excise Tax Payable")
    Tax.objects.create(name="Excise Tax", rate=EXCISE_RATE, qbo_account=excise_account)
    with push():
        demo_seed()
    with push():
        item = QboItem.objects.create(name="Gelato Pre-Roll 1g", unit_price=Decimal("4.25"))
    item.refresh_from_db()
    item.description = "Half-gram pre-roll"
    with push():
        item.save()
    edited = Invoice.objects.get(number="INV-1002")
    edited.due_date += timedelta(days=5)
    with push():
        edited.save()
    with push():
        InvoicePayment.objects.get(reference="ACH-INV-1004").delete()
        Invoice.objects.get(number="INV-1005").delete()
    withdrawn = PurchaseOrder.objects.get(number="PO-502")
    withdrawn.status = PurchaseOrder.Status.SUBMITTED
    with push():
        withdrawn.save()

    assert list(SyncJob.objects.exclude(status=SyncJob.Status.SUCCEEDED)) == []
    requests = synced.state()["requests"]
    assert [r for r in requests if r["status"] >= 400] == []
    written = {(r["entity"], r["operation"]) for r in requests if r["method"] == "POST"}
    # The demo's documents, saved together, are a backlog: many go in batches.
    written |= {tuple(item.split()) for r in requests for item in r.get("items", [])}
    for entity in ("Customer", "Vendor", "Item", "Invoice", "Payment", "Bill", "BillPayment",
                   "CreditMemo", "VendorCredit"):  # fmt: skip
        assert (entity, "create") in written
    assert {("Item", "update"), ("Invoice", "update"), ("Invoice", "delete")} <= written
    assert schema_misfits(synced.company) == []
