"""Deletes reach QBO as QBO takes them: payments before their document, the right void form,
610 and 5010 handled, a refusal the user must resolve said plainly, and a record deleted while
QBO is creating it deleted there too."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from integrations.models import QboConnection, SyncJob
from integrations.outbox.jobs import sync_jobs_retry
from integrations.outbox.runner import sync_job_run
from integrations.qbo.client import QboClient
from integrations.selectors import sync_job_for
from integrations.services.connection import ConnectionTokenProvider, qbo_client, qbo_config
from products.services import priced_document_recalculate
from purchases.models import PurchaseOrder
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def push(django_capture_on_commit_callbacks):
    """Run the block's on-commit hooks, so jobs are enqueued (and, in tests, run) at once."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def hold(django_capture_on_commit_callbacks):
    """Write the block's jobs but enqueue none of them, as if every worker were busy."""
    return lambda: django_capture_on_commit_callbacks(execute=False)


def remote(sandbox, entity: str, qbo_id: str):
    """The object as QBO holds it now, or the fault code QBO answers for reading it."""
    body = sandbox.api("GET", f"{entity.lower()}/{qbo_id}").json()
    return body.get(entity) or body["Fault"]["Error"][0]["code"]


def deletes(sandbox, entity: str) -> list[dict]:
    return sandbox.api_requests(entity=entity, operation="delete")


def priced(document, line_factory, parent: str):
    line_factory(**{parent: document}, quantity=Decimal(4), unit_price=Decimal("25"))
    priced_document_recalculate(document=document)
    return document


def in_qbo(push, make_document, make_payment) -> tuple:
    """Push a document, then a payment on it; both come back with their QBO ids."""
    with push():
        document = make_document()
    with push():
        payment = make_payment(document)
    for record in (document, payment):
        record.refresh_from_db()
        assert record.qbo_id
    return document, payment


@pytest.fixture
def paid_invoice(synced, push):
    """An invoice of 100.00 and a payment of 40.00 on it, both in QBO."""
    return in_qbo(
        push,
        lambda: priced(factories.InvoiceFactory(), factories.InvoiceLineFactory, "invoice"),
        lambda invoice: factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("40.00")),
    )


@pytest.fixture
def paid_order(synced, push):
    """A completed purchase order (a bill of 100.00 in QBO) with a payment of 30.00 on it."""
    return in_qbo(
        push,
        lambda: priced(
            factories.PurchaseOrderFactory(status=PurchaseOrder.Status.COMPLETED),
            factories.PurchaseOrderLineFactory,
            "purchase_order",
        ),
        lambda order: factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("30.00")
        ),
    )


def test_a_payment_qbo_will_not_delete_is_voided_by_a_sparse_update_with_include_void(
    synced, paid_invoice, push
):
    invoice, payment = paid_invoice
    job = sync_job_for(payment)
    synced.fail_next(entity="Payment", operation="delete", status=400, code="6000")
    with push():
        payment.delete()
    job.refresh_from_db()
    assert (job.action, job.status) == (SyncJob.Action.DELETE, SyncJob.Status.SUCCEEDED)
    voided = remote(synced, "Payment", payment.qbo_id)
    assert (voided["TotalAmt"], voided["Line"], voided["PrivateNote"]) == (0, [], "Voided")
    assert remote(synced, "Invoice", invoice.qbo_id)["Balance"] == 100
    (void,) = synced.api_requests(entity="Payment", operation="void")
    assert "operation=update" in void["query"] and "include=void" in void["query"]


def test_an_invoice_is_deleted_in_qbo_after_its_payments_whatever_order_the_jobs_run_in(
    synced, paid_invoice, push, hold
):
    invoice, payment = paid_invoice
    invoice_job, payment_job = sync_job_for(invoice), sync_job_for(payment)
    with pytest.raises(ProtectedError):
        invoice.delete()  # payments here go first: the user deletes them, then the invoice
    with hold():
        payment.delete()
        invoice.delete()

    with push():
        sync_job_run(job_id=invoice_job.pk)  # the invoice's worker happens to go first

    assert remote(synced, "Payment", payment.qbo_id) == "610"
    assert remote(synced, "Invoice", invoice.qbo_id) == "610"
    for job in (invoice_job, payment_job):
        job.refresh_from_db()
        assert (job.action, job.status, job.last_error) == ("delete", "succeeded", "")
    done = [e["entity"] for e in synced.api_requests(operation="delete") if e["status"] == 200]
    assert done == ["Payment", "Invoice"]


def test_an_invoice_changed_in_qbo_since_our_push_is_still_deleted_after_a_5010(
    synced, paid_invoice, push
):
    invoice, payment = paid_invoice
    with push():
        payment.delete()  # applying, then removing, the payment moved the SyncToken twice
    stale = remote(synced, "Invoice", invoice.qbo_id)["SyncToken"]
    assert stale != invoice.sync_token
    job = sync_job_for(invoice)
    with push():
        invoice.delete()
    assert remote(synced, "Invoice", invoice.qbo_id) == "610"
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    first, second = deletes(synced, "Invoice")
    assert (first["status"], second["status"]) == (400, 200)
    assert synced.api_requests(entity="Invoice", operation="read")


def test_deleting_here_what_was_already_deleted_in_qbo_is_done_not_failed(synced, push):
    with push():
        invoice = priced(factories.InvoiceFactory(), factories.InvoiceLineFactory, "invoice")
    invoice.refresh_from_db()
    current = remote(synced, "Invoice", invoice.qbo_id)
    body = {"Id": invoice.qbo_id, "SyncToken": current["SyncToken"]}
    synced.api("POST", "invoice", json=body, params={"operation": "delete"})
    job = sync_job_for(invoice)
    with push():
        invoice.delete()
    job.refresh_from_db()
    assert (job.status, job.last_error) == (SyncJob.Status.SUCCEEDED, "")
    assert not synced.api_requests(entity="Invoice", operation="void")


def purchase_order_form(order, **changes) -> dict:
    line = order.lines.get()
    return {
        "number": order.number,
        "vendor": order.vendor_id,
        "order_date": order.order_date.isoformat(),
        "due_date": "",
        "status": order.status,
        "notes": order.notes,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-id": line.pk,
        "lines-0-purchase_order": order.pk,
        "lines-0-product": line.product_id,
        "lines-0-description": line.description,
        "lines-0-quantity": str(line.quantity),
        "lines-0-unit_price": str(line.unit_price),
        "tax_lines-TOTAL_FORMS": "0",
        "tax_lines-INITIAL_FORMS": "0",
        "payments-TOTAL_FORMS": "0",
        "payments-INITIAL_FORMS": "0",
        **changes,
    }


def test_a_completed_order_with_payments_keeps_its_status_in_the_form_and_says_why(
    synced, paid_order, admin_client, push
):
    order, _ = paid_order
    url = reverse("admin:purchases_purchaseorder_change", args=[order.pk])
    with push():
        response = admin_client.post(url, purchase_order_form(order, status="submitted"))
    assert response.status_code == 200
    assert "Delete this order&#x27;s payments first (it has 1)" in response.content.decode()
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.COMPLETED
    assert remote(synced, "Bill", order.qbo_id)["Balance"] == 70
    assert not deletes(synced, "Bill")


def test_a_paid_bill_is_kept_when_its_order_leaves_completed_and_the_order_says_what_to_do(
    synced, paid_order, admin_client, push
):
    order, payment = paid_order
    order.status = PurchaseOrder.Status.SUBMITTED
    with push():
        order.save()  # not through the form, which refuses it: from the shell, say

    job = sync_job_for(order)
    assert job.status == SyncJob.Status.FAILED
    named = f"Purchase order {order.number}"
    assert job.last_error.startswith(f"Delete the payments applied to {named} first")
    assert f"Payment 30.00 on {named} is still recorded here: delete it here" in job.last_error
    assert remote(synced, "Bill", order.qbo_id)["Balance"] == 70
    order.refresh_from_db()
    assert order.qbo_id  # the bill is still there, and the order still points at it
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert f"Delete the payments applied to Purchase order {order.number} first" in page

    with push():
        payment.delete()
        sync_jobs_retry(job_ids=[job.pk])
    assert remote(synced, "Bill", order.qbo_id) == "610"
    job.refresh_from_db()
    order.refresh_from_db()
    assert (job.status, order.qbo_id) == (SyncJob.Status.SUCCEEDED, "")


def completed_order(push):
    """A completed purchase order of 100.00, with its bill in QBO."""
    with push():
        order = factories.PurchaseOrderFactory(status=PurchaseOrder.Status.COMPLETED)
        priced(order, factories.PurchaseOrderLineFactory, "purchase_order")
    order.refresh_from_db()
    return order


def test_an_order_whose_bill_was_already_deleted_leaves_nothing_to_delete_when_deleted(
    synced, push
):
    order = completed_order(push)
    job = sync_job_for(order)
    order.status = PurchaseOrder.Status.CANCELLED
    with push():
        order.save()  # its bill is deleted in QBO
    order.refresh_from_db()
    with push():
        order.delete()
    assert not SyncJob.objects.filter(pk=job.pk).exists()
    assert len(deletes(synced, "Bill")) == 1


def test_a_bill_paid_in_qbo_itself_is_kept_and_the_order_says_to_delete_that_payment_there(
    synced, push
):
    order = completed_order(push)
    made_there = synced.api(
        "POST",
        "billpayment",
        json={
            "VendorRef": {"value": order.vendor.qbo_id},
            "PayType": "Check",
            "TotalAmt": 10,
            "CheckPayment": {"BankAccountRef": {"value": "1"}},
            "Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": order.qbo_id, "TxnType": "Bill"}]}],
        },
    ).json()["BillPayment"]
    order.status = PurchaseOrder.Status.CANCELLED
    with push():
        order.save()
    job = sync_job_for(order)
    assert job.status == SyncJob.Status.FAILED
    assert f"BillPayment {made_there['Id']} was made in QuickBooks: delete it there" in (
        job.last_error
    )
    assert remote(synced, "Bill", order.qbo_id)["Balance"] == 90


class DeletedWhileCreating:
    """The real client, but the invoice is deleted here while QBO is creating it."""

    def __init__(self, client: QboClient, invoice, *, before_sending: bool = False):
        self.client, self.invoice, self.before_sending = client, invoice, before_sending

    def __getattr__(self, name):
        return getattr(self.client, name)

    def create(self, entity, payload, *, request_id):
        if entity != "Invoice":
            return self.client.create(entity, payload, request_id=request_id)
        if self.before_sending:
            self.invoice.delete()
            return self.client.create(entity, payload, request_id=request_id)
        created = self.client.create(entity, payload, request_id=request_id)
        self.invoice.delete()  # QBO has it; its Id is not recorded here yet
        return created


def held_invoice(hold):
    with hold():
        invoice = priced(factories.InvoiceFactory(), factories.InvoiceLineFactory, "invoice")
    return invoice, sync_job_for(invoice)


def client_without_retries() -> QboClient:
    realm_id = QboConnection.objects.get().realm_id
    return QboClient(replace(qbo_config(), max_retries=0), realm_id, ConnectionTokenProvider())


def test_a_record_deleted_while_qbo_creates_it_is_deleted_there_once_its_id_is_known(
    synced, hold, push
):
    sample_invoices = set(synced.company.objects["Invoice"])  # the sample company's own
    invoice, job = held_invoice(hold)
    with push():
        finished = sync_job_run(job_id=job.pk, client=DeletedWhileCreating(qbo_client(), invoice))

    assert finished is not None  # the worker recorded what happened, and did not crash
    job.refresh_from_db()
    assert (job.action, job.status, job.last_error) == ("delete", "succeeded", "")
    assert remote(synced, "Invoice", job.qbo_id) == "610"
    assert len(synced.api_requests(entity="Invoice", operation="create")) == 1
    assert set(synced.company.objects["Invoice"]) == sample_invoices
    assert synced.state()["realms"][synced.realm_id]["deleted"]["Invoice"] == 1


def test_a_record_deleted_while_qbo_refuses_its_create_leaves_nothing_anywhere(synced, hold, push):
    sample_invoices = set(synced.company.objects["Invoice"])  # the sample company's own
    invoice, job = held_invoice(hold)
    synced.fail_next(entity="Invoice", operation="create", status=400, code="6000")
    client = DeletedWhileCreating(client_without_retries(), invoice, before_sending=True)
    with push():
        sync_job_run(job_id=job.pk, client=client)
    assert not SyncJob.objects.filter(pk=job.pk).exists()
    assert set(synced.company.objects["Invoice"]) == sample_invoices


def test_a_record_deleted_while_qbo_never_answered_its_create_says_to_look_in_qbo(
    synced, hold, push
):
    invoice, job = held_invoice(hold)
    synced.fail_next(entity="Invoice", operation="create", status=503)
    client = DeletedWhileCreating(client_without_retries(), invoice, before_sending=True)
    with push():
        sync_job_run(job_id=job.pk, client=client)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert job.last_error.startswith(f"Look for Invoice {invoice.number} in QuickBooks")

    with push():
        sync_jobs_retry(job_ids=[job.pk])  # looked, and dealt with it: Retry clears it
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert not deletes(synced, "Invoice")
