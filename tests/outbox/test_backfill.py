"""Backfill: the documents QBO lacks from a start date on are queued once, in dependency order,
and can be stopped and resumed without losing any or holding back a person's own saves."""

import re
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.models import Backfill, QboAccount, QboConnection, QboItem, SyncJob
from integrations.outbox.registry import sync_adapter_for, synced_models
from integrations.outbox.runner import sync_job_run
from integrations.services.backfill import (
    QUEUE_ORDER,
    BackfillError,
    backfill_estimate,
    backfill_preview,
    backfill_progress,
    backfill_resume,
    backfill_start,
    backfill_stop,
)
from products.services import priced_document_recalculate
from purchases.models import PurchaseOrder
from tests import factories

pytestmark = pytest.mark.django_db
SINCE = date(2026, 10, 1)


@contextmanager
def before_connecting():
    """Records saved in the block were made before QuickBooks was connected: they get no job."""
    QboConnection.objects.update(status=QboConnection.Status.DISCONNECTED)
    try:
        yield
    finally:
        QboConnection.objects.update(status=QboConnection.Status.CONNECTED)


def invoice(customer, day: date):
    made = factories.InvoiceFactory(customer=customer, invoice_date=day, due_date=day)
    factories.InvoiceLineFactory(invoice=made, quantity=Decimal("2"), unit_price=Decimal("10"))
    return priced_document_recalculate(document=made)


@pytest.fixture
def history(synced):
    """A distributor's history from before the connection, on both sides of the start date."""
    with before_connecting():
        customer = factories.CustomerFactory(name="Old Town Dispensary")
        vendor = factories.VendorFactory(name="Hilltop Farms")
        september = invoice(customer, date(2026, 9, 20))
        october = invoice(customer, date(2026, 10, 5))
        order = factories.PurchaseOrderFactory(
            vendor=vendor, order_date=date(2026, 10, 8), status=PurchaseOrder.Status.COMPLETED
        )
        factories.PurchaseOrderLineFactory(purchase_order=order, quantity=Decimal("4"))
        priced_document_recalculate(document=order)
        draft = factories.PurchaseOrderFactory(vendor=vendor, order_date=date(2026, 10, 9))
        factories.PurchaseOrderLineFactory(purchase_order=draft)
        # Paid in October for the September invoice: the invoice goes along, whatever its date.
        payment = factories.InvoicePaymentFactory(
            invoice=september, amount=Decimal("5.00"), paid_on=date(2026, 10, 2)
        )
        credit = factories.SalesReturnFactory(customer=customer, return_date=date(2026, 10, 6))
        factories.SalesReturnLineFactory(sales_return=credit, unit_price=Decimal("3"))
        priced_document_recalculate(document=credit)
        bill_payment = factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("1.00"), paid_on=date(2026, 10, 9)
        )
    return {
        "customer": customer,
        "vendor": vendor,
        "september": september,
        "october": october,
        "order": order,
        "draft": draft,
        "payment": payment,
        "credit": credit,
        "bill_payment": bill_payment,
    }


def queued_entities(backfill: Backfill) -> list[str]:
    return list(backfill.jobs.order_by("pk").values_list("qbo_entity", flat=True))


def test_what_qbo_lacks_from_the_start_date_is_queued_names_first_and_credits_last(history, push):
    with push():
        backfill = backfill_start(since=SINCE)

    # Customers and vendors, then the documents, then the payments, then the credits; the
    # September invoice rides along with its October payment, the draft order stays here.
    assert queued_entities(backfill) == [
        "Customer",
        "Vendor",
        "Invoice",
        "Invoice",
        "Bill",
        "Payment",
        "BillPayment",
        "CreditMemo",
    ]
    assert backfill.queued == {
        "Customer": 1,
        "Vendor": 1,
        "Invoice": 2,
        "Bill": 1,
        "Payment": 1,
        "BillPayment": 1,
        "CreditMemo": 1,
    }
    for name in ("september", "october", "order", "payment", "credit", "bill_payment"):
        history[name].refresh_from_db()
        assert history[name].qbo_id, name
    history["draft"].refresh_from_db()
    assert not history["draft"].qbo_id
    progress = backfill_progress(backfill)
    assert (progress.done, progress.failed, progress.left, progress.state) == (8, 0, 0, "Done")


def test_every_synced_type_has_its_place_in_the_queue():
    entities = {sync_adapter_for(model).entity for model in synced_models()}
    assert entities == set(QUEUE_ORDER)


def test_documents_before_the_date_or_already_in_qbo_or_queued_are_left_alone(history, synced):
    with before_connecting():
        older = invoice(history["customer"], date(2026, 9, 30))
    in_qbo = invoice(history["customer"], date(2026, 10, 3))  # saved since: it has its job
    SyncJob.objects.filter(object_id=str(in_qbo.pk), qbo_entity="Invoice").delete()
    type(in_qbo).objects.filter(pk=in_qbo.pk).update(qbo_id="999")

    plan = backfill_preview(since=SINCE)

    labels = {str(record) for record in plan.records}
    assert str(history["october"]) in labels
    assert str(older) not in labels
    assert str(in_qbo) not in labels
    assert str(history["draft"]) not in labels


def test_running_it_again_queues_nothing_new(history, push, synced):
    with push():
        first = backfill_start(since=SINCE)
    jobs, invoices = SyncJob.objects.count(), len(synced.query("SELECT * FROM Invoice")["Invoice"])

    with push():
        again = backfill_start(since=SINCE)

    assert again is None
    assert Backfill.objects.get() == first
    assert SyncJob.objects.count() == jobs
    assert len(synced.query("SELECT * FROM Invoice")["Invoice"]) == invoices


def test_a_second_backfill_waits_while_the_first_has_documents_left(history):
    backfill_start(since=SINCE)  # its jobs wait: nothing runs them in this test

    with pytest.raises(BackfillError, match="Wait for the backfill since 2026-10-01 first"):
        backfill_start(since=date(2026, 1, 1))
    assert Backfill.objects.count() == 1


def test_nothing_is_queued_while_quickbooks_is_not_connected(history):
    QboConnection.objects.update(status=QboConnection.Status.EXPIRED)

    with pytest.raises(BackfillError, match="Connect to QuickBooks first"):
        backfill_start(since=SINCE)
    assert not SyncJob.objects.exists()


def test_stopping_holds_what_is_not_sent_and_resuming_sends_it_all(history, push, synced):
    backfill = backfill_start(since=SINCE)
    customer_job = backfill.jobs.get(qbo_entity="Customer")
    sync_job_run(job_id=customer_job.pk)  # one document went before the stop

    held = backfill_stop(backfill=backfill)

    assert held == 7
    progress = backfill_progress(backfill)
    assert (progress.done, progress.left, progress.held, progress.state) == (1, 7, 7, "Stopped")
    assert progress.remaining is None
    assert not synced.api_requests(entity="Invoice", operation="create")

    with push():
        assert backfill_resume(backfill=backfill) == 7

    progress = backfill_progress(backfill)
    assert (progress.done, progress.left, progress.state) == (8, 0, "Done")
    assert len(synced.api_requests(entity="Invoice", operation="create")) == 2


def test_a_persons_save_is_not_held_back_by_a_stopped_backfill(history, push, synced):
    backfill = backfill_start(since=SINCE)
    backfill_stop(backfill=backfill)

    # A new payment on the held September invoice, whose customer the backfill holds too.
    with push():
        payment = factories.InvoicePaymentFactory(
            invoice=history["september"], amount=Decimal("2.00"), paid_on=date(2026, 11, 20)
        )

    payment.refresh_from_db()
    history["september"].refresh_from_db()
    history["customer"].refresh_from_db()
    assert payment.qbo_id and history["september"].qbo_id and history["customer"].qbo_id
    # The rest stays held until the backfill is resumed.
    still_held = backfill.jobs.filter(status=SyncJob.Status.HELD)
    assert sorted(still_held.values_list("qbo_entity", flat=True)) == [
        "Bill",
        "BillPayment",
        "CreditMemo",
        "Invoice",
        "Payment",
        "Vendor",
    ]


def test_a_reconnect_does_not_resume_a_stopped_backfill(history):
    from integrations.services.connection import _resume_paused_pushes

    backfill = backfill_start(since=SINCE)
    backfill_stop(backfill=backfill)

    _resume_paused_pushes()

    assert backfill.jobs.filter(status=SyncJob.Status.HELD).count() == 8


def test_failures_are_counted_and_the_backfill_still_finishes(history, push):
    with before_connecting():
        excise = factories.TaxFactory(name="Excise Tax", rate=Decimal("15"))  # no account
        taxed = invoice(history["customer"], date(2026, 10, 20))
        factories.InvoiceTaxLineFactory(invoice=taxed, tax=excise)
        priced_document_recalculate(document=taxed)

    with push():
        backfill = backfill_start(since=SINCE)

    progress = backfill_progress(backfill)
    assert (progress.done, progress.failed, progress.left, progress.state) == (8, 1, 0, "Done")
    failed = backfill.jobs.get(status=SyncJob.Status.FAILED)
    assert failed.object_id == str(taxed.pk)
    assert "Excise Tax" in failed.last_error


def test_a_document_whose_references_cannot_be_worked_out_yet_is_queued_all_the_same(history):
    """Without the Default Income account the default item cannot be made: the invoices go in
    the backfill anyway, and their own pushes say which account to choose."""
    QboItem.objects.filter(name="Distru Sales").delete()
    QboConnection.objects.update(default_income_account=None)

    backfill = backfill_start(since=SINCE)

    assert backfill.queued["Invoice"] == 2
    assert backfill.jobs.filter(status=SyncJob.Status.PENDING).count() == backfill.jobs.count()


def test_working_out_the_references_costs_a_few_queries_not_several_per_document(
    history, django_assert_max_num_queries
):
    """The plan reads what the documents reference in bulk, a few queries a type: 42
    invoices with their lines and the history's other documents in at most 40 (it took 232
    reading them document by document)."""
    with before_connecting():
        product = factories.ProductFactory(sales_qbo_item=QboItem.objects.get(name="Distru Sales"))
        for day in range(40):
            made = invoice(history["customer"], date(2026, 10, 10) + timedelta(days=day % 20))
            made.lines.update(product=product)
    backfill_preview(since=SINCE)  # warm the caches (content types, the default items)

    with django_assert_max_num_queries(40):
        plan = backfill_preview(since=SINCE)
    assert plan.counts["Invoice"] == 42


def test_the_time_left_comes_from_the_rate_measured_and_before_that_from_qbos_limits(history):
    backfill = backfill_start(since=SINCE)

    before = backfill_progress(backfill)
    assert not before.measured
    assert before.remaining == backfill_estimate(jobs=8, lookups=0).single

    for job in backfill.jobs.order_by("pk")[:2]:
        sync_job_run(job_id=job.pk)
    now = timezone.now()
    Backfill.objects.filter(pk=backfill.pk).update(running_since=now - timedelta(minutes=5))
    backfill.jobs.filter(status=SyncJob.Status.SUCCEEDED).update(
        succeeded_at=now - timedelta(seconds=30)
    )
    backfill.refresh_from_db()

    after = backfill_progress(backfill)
    assert after.measured
    assert after.rate == pytest.approx(2.0, rel=0.01)  # two documents in the last minute
    assert after.remaining.total_seconds() == pytest.approx(6 / 2 * 60, rel=0.01)


def test_the_estimate_at_qbos_limits_follows_the_formula():
    estimate = backfill_estimate(jobs=2500, lookups=20)

    # One request per job and per name looked up, 500 a minute.
    assert estimate.single == timedelta(minutes=2520 / 500)
    # In batches of 30, 40 batches a minute: ceil(2500 / 30) = 84 batches.
    assert estimate.batched == timedelta(minutes=84 / 40)


def backfill_command(*args) -> str:
    out = StringIO()
    call_command("qbo_backfill", *args, "--interval", "0", stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_counts_and_the_time_at_qbos_limits_and_queues_nothing(history):
    with before_connecting():
        # A tax QuickBooks has no item for yet: its first push makes one.
        tax = factories.TaxFactory(name="Cultivation Tax", rate=Decimal("9"))
        tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
        tax.save()
        taxed = invoice(history["customer"], date(2026, 10, 20))
        factories.InvoiceTaxLineFactory(invoice=taxed, tax=tax)
        priced_document_recalculate(document=taxed)
    items = QboItem.objects.count()

    out = backfill_command("--since", "2026-10-01", "--dry-run")

    assert out.splitlines() == [
        "Backfill since 2026-10-01 (dry run: nothing is queued)",
        "  Customer            1",
        "  Vendor              1",
        "  Item                1",  # the tax's own item, made at the first push
        "  Invoice             3",
        "  Bill                1",
        "  Payment             1",
        "  BillPayment         1",
        "  CreditMemo          1",
        "  total              10",
        "Estimated at QuickBooks' limits (12 requests: one per document, and one more for each "
        "of the 2 names looked up before it is made):",
        "  one request each, 500 a minute: 2 s",
        "  in batches of 30, 40 batches a minute: 2 s",
    ]
    assert not Backfill.objects.exists()
    assert not SyncJob.objects.exists()
    assert QboItem.objects.count() == items  # the tax's item was worked out, then rolled back


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--since", "2026-13-01"], "Give --since as a date, YYYY-MM-DD"),
        (["--since", "1 October"], "Give --since as a date, YYYY-MM-DD"),
        (["--dry-run", "--watch"], "--dry-run goes with --since"),
        (["--stop"], "No backfill was started: start one with --since YYYY-MM-DD."),
    ],
)
def test_bad_input_to_the_command_is_refused_in_words(synced, args, error):
    with pytest.raises(CommandError, match=re.escape(error)):
        backfill_command(*args)
    assert not SyncJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_queues_shows_a_plain_progress_bar_and_then_has_nothing_to_queue(history):
    out = backfill_command("--since", "2026-10-01")

    lines = out.splitlines()
    assert "\r" not in out  # not a terminal: whole lines, for a log
    assert lines[0] == (
        "Queued for QuickBooks: 1 Customer, 1 Vendor, 2 Invoice, 1 Bill, 1 Payment, "
        "1 BillPayment, 1 CreditMemo."
    )
    # The workers (inline here) sent all of them as the queue was committed.
    assert lines[-1].startswith(f"[{'#' * 30}] 100%  8 done · 0 failed · 0 left")
    assert lines[-1].endswith(" · Done")

    assert backfill_command("--since", "2026-10-01") == (
        "Nothing to queue: QuickBooks has, or the outbox already holds, every document dated "
        "on or after 2026-10-01.\n"
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_stops_and_resumes_the_backfill(history):
    backfill = backfill_start(since=SINCE)
    backfill.jobs.update(status=SyncJob.Status.PENDING)  # as if no worker had taken them yet

    stopped = backfill_command("--stop")

    assert stopped == (
        "Stopped the backfill since 2026-10-01: 8 document(s) held, none lost. Resume it with "
        "--resume.\n"
    )
    assert backfill_command("--watch").splitlines()[-2:] == [
        f"[{'-' * 30}]   0%  0 done · 0 failed · 8 left · Stopped",
        "Stopped. Resume it with --resume.",
    ]
    resumed = backfill_command("--resume").splitlines()
    assert resumed[0] == "Resumed: 8 held document(s) are due again."
    assert resumed[-1].startswith(f"[{'#' * 30}] 100%  8 done · 0 failed · 0 left")
