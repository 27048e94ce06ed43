"""Backlogs go to QBO in batches of up to 30, exactly once; a person's save goes on its own.

Faults come from the sandbox over HTTP (fail-next on the batch request, or its own rules); the
client gives up after its first attempt where a test needs the runner to see the failure.
"""

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import PushAttempt, QboConnection, SyncBatch, SyncJob
from integrations.outbox.jobs import sync_jobs_retry
from integrations.outbox.runner import (
    BACKLOG_JOBS,
    STALE_RUN,
    sync_job_dispatch,
    sync_job_run,
    sync_jobs_drain,
)
from integrations.qbo.client import QboClient, select
from integrations.services.connection import ConnectionTokenProvider, qbo_config
from products.services import priced_document_recalculate
from sales.models import Invoice
from tests import factories

pytestmark = pytest.mark.django_db


def client_with(**config) -> QboClient:
    """A client with its config changed (no retries of its own, a short timeout)."""
    config = replace(qbo_config(), **config)
    return QboClient(config, QboConnection.objects.get().realm_id, ConnectionTokenProvider())


@pytest.fixture
def customer(synced, django_capture_on_commit_callbacks):
    """A customer already in QBO, so its invoices can go in a batch."""
    with django_capture_on_commit_callbacks(execute=True):
        customer = factories.CustomerFactory()
    customer.refresh_from_db()
    assert customer.qbo_id
    synced.control("requests/clear")
    return customer


def queue_invoices(capture, customer, count: int, *, payments: bool = False) -> list[Invoice]:
    """Invoices (and a payment on each) saved in one go, their jobs due and not yet run."""
    invoices = []
    with capture(execute=False):
        for _ in range(count):
            invoice = factories.InvoiceFactory(customer=customer)
            factories.InvoiceLineFactory(invoice=invoice)
            invoices.append(priced_document_recalculate(document=invoice))
        if payments:
            for invoice in invoices:
                factories.InvoicePaymentFactory(invoice=invoice, amount=invoice.total)
    return invoices


def invoice_jobs() -> list[SyncJob]:
    return list(SyncJob.objects.filter(qbo_entity="Invoice").order_by("pk"))


def batches(sandbox, *, at_least: int = 0) -> list[dict]:
    """The batch requests QBO saw; the sandbox logs one when it has answered (a timed-out
    one a moment after the client gave up), so wait for `at_least` of them."""
    deadline = time.monotonic() + 5
    while len(sent := sandbox.api_requests(operation="batch")) < at_least:
        assert time.monotonic() < deadline, sent
        time.sleep(0.05)
    return sent


def copies_in_qbo(sandbox, invoice: Invoice) -> list[str]:
    found = sandbox.query(select("Invoice", {"DocNumber": invoice.number})).get("Invoice", [])
    return [row["Id"] for row in found]


def batch_sent_unanswered(capture, customer, sandbox) -> tuple[list[Invoice], QboClient]:
    """31 due invoices, 30 of them sent in a batch whose answer QBO dropped after committing;
    the client (no retries of its own) to go on with."""
    invoices = queue_invoices(capture, customer, 31)
    once = client_with(max_retries=0)
    sandbox.fail_next(operation="batch", drop_after_commit=True)
    sync_job_dispatch(job_id=invoice_jobs()[0].pk, client=once)
    return invoices, once


def make_due(jobs) -> None:
    SyncJob.objects.filter(pk__in=[job.pk for job in jobs]).update(next_attempt_at=timezone.now())


def test_a_backlog_goes_in_batches_of_30_and_each_job_takes_its_answer(
    customer, synced, django_capture_on_commit_callbacks
):
    """40 due invoices: one batch of 30, then the 10 left (no backlog any more) one by one;
    each job is synced with its QBO id, its fingerprint and one push attempt."""
    invoices = queue_invoices(django_capture_on_commit_callbacks, customer, BACKLOG_JOBS + 10)

    sync_jobs_drain()

    assert [r["items"] for r in batches(synced)] == [["Invoice create"] * 30]
    assert len(synced.api_requests(entity="Invoice", operation="create")) == 10
    assert {job.status for job in invoice_jobs()} == {SyncJob.Status.SUCCEEDED}
    for invoice in invoices:
        invoice.refresh_from_db()
        assert copies_in_qbo(synced, invoice) == [invoice.qbo_id]
    assert all(job.sent_fingerprint for job in invoice_jobs())
    attempts = PushAttempt.objects.filter(qbo_entity="Invoice")
    assert attempts.count() == 40 and {a.outcome for a in attempts} == {"succeeded"}
    assert not SyncBatch.objects.exists()


def test_a_save_outside_a_backlog_is_pushed_at_once_on_its_own(
    customer, synced, django_capture_on_commit_callbacks
):
    """A person saving an invoice: its own request, right away, no batch."""
    (invoice,) = queue_invoices(django_capture_on_commit_callbacks, customer, 1)

    sync_job_dispatch(job_id=invoice_jobs()[0].pk)

    invoice.refresh_from_db()
    assert batches(synced) == []
    assert [r["status"] for r in synced.api_requests(entity="Invoice")] == [200]
    assert copies_in_qbo(synced, invoice) == [invoice.qbo_id]


def test_payments_wait_for_their_invoices_id_and_go_in_a_later_batch(
    customer, synced, django_capture_on_commit_callbacks
):
    """No payment rides in the batch that creates its invoice; each lands linked to it."""
    invoices = queue_invoices(django_capture_on_commit_callbacks, customer, 31, payments=True)

    with django_capture_on_commit_callbacks(execute=True):
        sync_jobs_drain()

    sent = [r["items"] for r in batches(synced)]
    assert sent[0] == ["Invoice create"] * 30
    assert sent[1] == ["Invoice create"] + ["Payment create"] * 29
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    for invoice in invoices:
        invoice.refresh_from_db()
        payment = invoice.payments.get()
        in_qbo = synced.api("GET", f"payment/{payment.qbo_id}").json()["Payment"]
        assert in_qbo["Line"][0]["LinkedTxn"][0]["TxnId"] == invoice.qbo_id


FAILURES = {
    "the answer dropped after QBO committed": {"drop_after_commit": True},
    "a timeout while QBO works": {"delay_ms": 1200},
    "a throttle (429)": {"status": 429},
    "a server error (500)": {"status": 500},
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_batch_that_went_unanswered_is_resent_whole_with_its_requestid_and_lands_once(
    failure, customer, synced, django_capture_on_commit_callbacks
):
    """The batch's operations and requestid were stored before sending: the jobs keep it, and
    the first of them to run again resends the very same batch, which QBO answers once."""
    invoices = queue_invoices(django_capture_on_commit_callbacks, customer, 31)
    once = client_with(max_retries=0, timeout=0.5)
    synced.fail_next(operation="batch", **failure)

    sync_job_dispatch(job_id=invoice_jobs()[0].pk, client=once)

    batch = SyncBatch.objects.get()
    batched = SyncJob.objects.filter(batch=batch)
    assert batched.count() == 30 == len(batch.operations)
    assert {job.status for job in batched} == {SyncJob.Status.PENDING}
    assert all("retried automatically" in job.last_error for job in batched)
    assert batches(synced, at_least=1)[0]["requestid"] == batch.request_id
    make_due(batched)

    sync_job_run(job_id=batched.last().pk, client=once)
    sync_jobs_drain()

    sent = batches(synced)
    assert [r["requestid"] for r in sent] == [batch.request_id] * 2
    assert sent[0]["items"] == sent[1]["items"]
    assert len(synced.api_requests(entity="Invoice", operation="create")) == 1  # the 31st
    assert {job.status for job in invoice_jobs()} == {SyncJob.Status.SUCCEEDED}
    for invoice in invoices:
        invoice.refresh_from_db()
        assert copies_in_qbo(synced, invoice) == [invoice.qbo_id]
    assert not SyncBatch.objects.exists()


def test_a_fault_on_one_item_fails_that_job_as_its_own_push_would_and_the_rest_land(
    customer, synced, django_capture_on_commit_callbacks
):
    """QBO refuses one invoice's number (6140) inside a batch that answers 200: that job fails
    with the 6140 advice, the 29 others are synced, and nothing is sent on its own."""
    line = {"Amount": 50, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    taken = {"CustomerRef": {"value": "1"}, "DocNumber": "INV-9001", "Line": [line]}
    assert synced.api("POST", "invoice", json=taken).status_code == 200
    invoices = queue_invoices(django_capture_on_commit_callbacks, customer, 31)
    Invoice.objects.filter(pk=invoices[5].pk).update(number="INV-9001")
    clashing = SyncJob.objects.get(object_id=str(invoices[5].pk), qbo_entity="Invoice")

    sync_job_dispatch(job_id=invoice_jobs()[0].pk)

    clashing.refresh_from_db()
    assert (clashing.status, clashing.last_error_code) == (SyncJob.Status.FAILED, "6140")
    assert clashing.last_error.startswith("Give this record a number no other QuickBooks")
    assert clashing.batch is None
    batched = invoice_jobs()[:30]
    batched.remove(clashing)
    assert {job.status for job in batched} == {SyncJob.Status.SUCCEEDED}
    ours = synced.api_requests(entity="Invoice", operation="create")
    assert [r for r in ours if r["requestid"]] == []


def test_a_job_changed_while_its_batch_was_out_is_pushed_again_after(
    customer, synced, django_capture_on_commit_callbacks
):
    """Saved again while its batch went unanswered: the resend carries the old version (it is
    the same batch), then the job goes round again and QBO gets the new one as an update."""
    invoices, once = batch_sent_unanswered(django_capture_on_commit_callbacks, customer, synced)
    edited = invoices[0]
    edited.due_date = edited.invoice_date + timedelta(days=45)
    with django_capture_on_commit_callbacks(execute=False):
        edited.save()
    make_due(SyncJob.objects.filter(batch__isnull=False))

    with django_capture_on_commit_callbacks(execute=True):
        sync_job_run(job_id=invoice_jobs()[0].pk, client=once)

    edited.refresh_from_db()
    sent = batches(synced)
    assert len(sent) == 2 and sent[0]["requestid"] == sent[1]["requestid"]
    updates = synced.api_requests(entity="Invoice", operation="update")
    assert len(updates) == 1 and updates[0]["status"] == 200
    in_qbo = synced.api("GET", f"invoice/{edited.qbo_id}").json()["Invoice"]
    assert in_qbo["DueDate"] == edited.due_date.isoformat()
    assert copies_in_qbo(synced, edited) == [edited.qbo_id]


def test_a_job_in_an_unanswered_batch_never_goes_in_another(
    customer, synced, django_capture_on_commit_callbacks
):
    """A new batch takes other due jobs; the unanswered one is resent as it was."""
    first, once = batch_sent_unanswered(django_capture_on_commit_callbacks, customer, synced)
    unanswered = SyncBatch.objects.get()
    make_due(SyncJob.objects.filter(batch=unanswered))
    second = queue_invoices(django_capture_on_commit_callbacks, customer, 30)

    sync_job_dispatch(job_id=invoice_jobs()[0].pk, client=once)
    sync_jobs_drain()

    sent = [r["requestid"] for r in batches(synced)]
    assert len(sent) == 3 and sent[0] == sent[2] == unanswered.request_id != sent[1]
    assert {job.status for job in invoice_jobs()} == {SyncJob.Status.SUCCEEDED}
    for invoice in first + second:
        invoice.refresh_from_db()
        assert copies_in_qbo(synced, invoice) == [invoice.qbo_id]


def test_a_record_deleted_while_its_batch_was_out_is_deleted_in_qbo_once_its_id_is_known(
    customer, synced, django_capture_on_commit_callbacks
):
    """Its job stays with the batch (QBO may have made it); the replayed answer names the Id,
    and the job, now a delete, deletes that invoice in QBO."""
    invoices, once = batch_sent_unanswered(django_capture_on_commit_callbacks, customer, synced)
    gone = invoices[0]
    job = SyncJob.objects.get(object_id=str(gone.pk), qbo_entity="Invoice")
    assert job.batch is not None
    with django_capture_on_commit_callbacks(execute=False):
        gone.delete()
    make_due(SyncJob.objects.filter(batch__isnull=False))

    with django_capture_on_commit_callbacks(execute=True):
        sync_job_run(job_id=job.pk, client=once)

    job.refresh_from_db()
    assert (job.action, job.status) == (SyncJob.Action.DELETE, SyncJob.Status.SUCCEEDED)
    deletes = synced.api_requests(entity="Invoice", operation="delete")
    assert [r["status"] for r in deletes] == [200]
    assert synced.query(select("Invoice", {"DocNumber": gone.number})) == {}


def test_a_batch_qbo_refused_whole_frees_its_jobs_failed_and_retry_sends_them(
    customer, synced, django_capture_on_commit_callbacks
):
    """A 400 to the batch itself is QBO's answer to that requestid, and nothing was written:
    each job fails as its own push would, leaves the batch, and Retry sends it."""
    queue_invoices(django_capture_on_commit_callbacks, customer, 31)
    synced.fail_next(operation="batch", status=400)

    sync_job_dispatch(job_id=invoice_jobs()[0].pk)

    failed = SyncJob.objects.filter(status=SyncJob.Status.FAILED)
    assert failed.count() == 30 and not failed.filter(batch__isnull=False).exists()
    assert all("QuickBooks said:" in job.last_error for job in failed)
    assert not SyncBatch.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sync_jobs_retry()
    sync_jobs_drain()
    assert {job.status for job in invoice_jobs()} == {SyncJob.Status.SUCCEEDED}


def test_a_batch_whose_worker_died_mid_send_is_resent_by_the_sweeper(
    customer, synced, django_capture_on_commit_callbacks
):
    """Its jobs stay running and its claim stands until STALE_RUN; then the sweeper resends it."""
    invoices, once = batch_sent_unanswered(django_capture_on_commit_callbacks, customer, synced)
    long_ago = timezone.now() - STALE_RUN - timedelta(minutes=1)
    # As if the worker had died after claiming the batch again, before any answer.
    SyncBatch.objects.update(sending_since=long_ago)
    SyncJob.objects.filter(batch__isnull=False).update(
        status=SyncJob.Status.RUNNING, started_at=long_ago, next_attempt_at=long_ago
    )

    sync_jobs_drain()

    assert {job.status for job in invoice_jobs()} == {SyncJob.Status.SUCCEEDED}
    for invoice in invoices:
        invoice.refresh_from_db()
        assert copies_in_qbo(synced, invoice) == [invoice.qbo_id]
