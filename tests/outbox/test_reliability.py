"""The outbox under trouble: expired tokens mid-backfill, revocation, the shell drain."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from integrations.models import QboConnection, SyncJob
from integrations.outbox.runner import sync_job_run, sync_jobs_drain
from integrations.tasks import SWEEP_BUDGET_SECONDS
from products.services import priced_document_recalculate
from tests import factories

pytestmark = pytest.mark.django_db
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def queue_customers(capture, count):
    """Save records whose jobs are written but never enqueued (as after a crash)."""
    with capture(execute=False):
        return [factories.CustomerFactory() for _ in range(count)]


def test_a_token_expiring_mid_backfill_costs_one_refresh_and_the_backfill_goes_on(
    synced, django_capture_on_commit_callbacks
):
    queue_customers(django_capture_on_commit_callbacks, 6)
    synced.expire_tokens()
    call_command("qbo_push")
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    assert len(synced.api_requests(method="POST", path=TOKEN_PATH)) == 1


def test_a_revoked_connection_pauses_every_job_and_nothing_is_lost(
    synced, django_capture_on_commit_callbacks
):
    queue_customers(django_capture_on_commit_callbacks, 3)
    synced.revoke_tokens()
    QboConnection.objects.update(access_token_expires_at=None)
    call_command("qbo_push")
    assert QboConnection.objects.get().status == QboConnection.Status.EXPIRED
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.PAUSED}
    assert SyncJob.objects.count() == 3


def test_qbo_push_retry_failed_sends_what_was_fixed(
    synced, django_capture_on_commit_callbacks, capsys
):
    from integrations.models import QboAccount

    tax = factories.TaxFactory(rate=Decimal("15"))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = factories.InvoiceFactory()
        factories.InvoiceLineFactory(invoice=invoice)
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=tax)
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.FAILED
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    call_command("qbo_push", "--retry-failed")
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.SUCCEEDED
    assert "Retrying 1 failed job." in capsys.readouterr().out


def test_a_payment_held_up_by_its_invoice_in_another_worker_goes_as_soon_as_the_invoice_does(
    synced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        invoice = factories.InvoiceFactory()
        factories.InvoiceLineFactory(invoice=invoice)
        priced_document_recalculate(document=invoice)
        payment = factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("1.00"))
    invoice_job = SyncJob.objects.get(qbo_entity="Invoice")
    payment_job = SyncJob.objects.get(qbo_entity="Payment")
    # Another worker has claimed the invoice and is still pushing it.
    SyncJob.objects.filter(pk=invoice_job.pk).update(status=SyncJob.Status.RUNNING)

    sync_job_run(job_id=payment_job.pk)
    payment_job.refresh_from_db()
    assert payment_job.status == SyncJob.Status.PENDING
    assert payment_job.waiting_on_id == invoice_job.pk
    assert "Waiting for" in payment_job.last_error

    # That worker finishes: the payment is handed to a worker on commit, not left to the sweeper.
    SyncJob.objects.filter(pk=invoice_job.pk).update(status=SyncJob.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        sync_job_run(job_id=invoice_job.pk)
    assert enqueued, "the waiting payment was not enqueued"
    payment_job.refresh_from_db()
    payment.refresh_from_db()
    assert payment_job.status == SyncJob.Status.SUCCEEDED
    assert payment_job.waiting_on is None
    assert payment.qbo_id


def test_the_minute_sweeper_stops_starting_jobs_inside_the_task_timeout(
    synced, django_capture_on_commit_callbacks, settings
):
    assert SWEEP_BUDGET_SECONDS < settings.Q_CLUSTER["timeout"]
    queue_customers(django_capture_on_commit_callbacks, 3)
    assert sync_jobs_drain(budget_seconds=0) == 0  # spent: what is left stays due, not lost
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.PENDING}
    assert sync_jobs_drain(budget_seconds=60) == 3


def test_a_save_that_rolls_back_leaves_no_job_and_one_that_commits_always_has_one(
    synced, django_capture_on_commit_callbacks
):
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.CustomerFactory(name="Rolled Back")
        raise RuntimeError("the admin's save failed after the customer row was written")
    assert not SyncJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        customer = factories.CustomerFactory(name="Committed")
    assert SyncJob.objects.get().object_id == str(customer.pk)


def test_the_sweeper_sends_the_customer_then_the_invoice_then_the_payment(
    synced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # nothing was enqueued
        payment = factories.InvoicePaymentFactory(amount=Decimal("1.00"))
        factories.InvoiceLineFactory(invoice=payment.invoice)
        priced_document_recalculate(document=payment.invoice)
    # The payment's job is the oldest, yet what it references goes first.
    SyncJob.objects.filter(qbo_entity="Payment").update(next_attempt_at="2000-01-01T00:00Z")
    sync_jobs_drain()
    creates = [r["entity"] for r in synced.api_requests(operation="create")]
    assert creates == ["Customer", "Invoice", "Payment"]
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}


def test_a_token_refused_again_right_after_its_refresh_is_retried_later_not_failed(
    synced, django_capture_on_commit_callbacks
):
    [customer] = queue_customers(django_capture_on_commit_callbacks, 1)
    synced.fail_next(entity="Customer", status=401, times=2)  # the old token, then the new one
    sync_jobs_drain()
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.PENDING
    assert "retried automatically" in job.last_error
    SyncJob.objects.update(next_attempt_at=timezone.now())
    sync_jobs_drain()
    customer.refresh_from_db()
    assert SyncJob.objects.get().status == SyncJob.Status.SUCCEEDED and customer.qbo_id
