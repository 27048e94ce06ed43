"""One-way sync: edits and deletes made in QBO are flagged, and nothing here changes."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.models import QboConnection, SyncJob, SyncRun
from integrations.services.remote_changes import transactions_cdc_check
from tests import factories
from tests.outbox.test_documents import make_invoice, remote

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed_invoice(synced, django_capture_on_commit_callbacks):
    tax = factories.TaxFactory(rate=Decimal("15"))
    from integrations.models import QboAccount

    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    return make_invoice(lambda: django_capture_on_commit_callbacks(execute=True), tax)


def test_our_own_writes_and_payments_applied_are_not_flagged(
    synced, pushed_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        factories.InvoicePaymentFactory(invoice=pushed_invoice, amount=Decimal("5.00"))
    run = transactions_cdc_check()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert not SyncJob.objects.exclude(remote_change="").exists()
    # The invoice's new SyncToken (moved by the payment) is kept for the next update.
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.sync_token == remote(synced, "Invoice", pushed_invoice.qbo_id)["SyncToken"]
    assert len(synced.api_requests(operation="cdc")) == 1


def test_an_invoice_edited_in_qbo_is_flagged_and_left_alone_here(synced, pushed_invoice):
    current = remote(synced, "Invoice", pushed_invoice.qbo_id)
    synced.api(
        "POST",
        "invoice",
        json={
            "Id": current["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-20",
        },
    )
    transactions_cdc_check()
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.remote_change == (
        "Edited in QuickBooks: Date is 2026-11-20 in QuickBooks, 2026-11-02 here"
    )
    pushed_invoice.refresh_from_db()
    assert str(pushed_invoice.invoice_date) == "2026-11-02"


def test_an_invoice_deleted_in_qbo_is_flagged(synced, pushed_invoice):
    current = remote(synced, "Invoice", pushed_invoice.qbo_id)
    synced.api(
        "POST",
        "invoice",
        params={"operation": "delete"},
        json={"Id": current["Id"], "SyncToken": current["SyncToken"]},
    )
    transactions_cdc_check()
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == "Deleted in QuickBooks"
    assert SyncRun.objects.get(kind=SyncRun.Kind.TRANSACTIONS_CDC).details[0]["event"] == (
        "changed_in_qbo"
    )


def test_a_cdc_answer_with_unreadable_rows_flags_what_it_can_and_moves_on(
    synced, pushed_invoice, qbo_proxy
):
    """A broken change time still flags the edit; a row without a usable Id or SyncToken is
    named in the run's log; the watermark moves on, since QBO would resend the same rows."""
    current = remote(synced, "Invoice", pushed_invoice.qbo_id)
    synced.api(
        "POST",
        "invoice",
        json={
            **{k: current[k] for k in ("Id", "SyncToken")},
            "sparse": True,
            "TxnDate": "2026-11-20",
        },
    )

    def break_rows(status, headers, body):
        document = json.loads(body)
        answers = document["CDCResponse"][0]["QueryResponse"]
        rows = next(answer["Invoice"] for answer in answers if "Invoice" in answer)
        rows[0]["MetaData"]["LastUpdatedTime"] = "2026-13-45T99:99:99-07:00"
        rows.append({"SyncToken": "3", "TxnDate": "2026-11-20"})
        rows.append({"Id": "77", "SyncToken": "9" * 40})
        return status, headers, json.dumps(document).encode()

    qbo_proxy.mangle_next(break_rows, when=lambda received: received.path.endswith("/cdc"))
    before = timezone.now()
    run = transactions_cdc_check()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.remote_change == (
        "Edited in QuickBooks: Date is 2026-11-20 in QuickBooks, 2026-11-02 here"
    )
    assert job.remote_changed_at >= before
    events = [(note["event"], note["text"]) for note in run.details]
    assert ("skipped", "A Invoice change from QuickBooks was skipped: it has no Id.") in events
    assert (
        "skipped",
        "A Invoice change from QuickBooks was skipped: its SyncToken is not a QuickBooks "
        "SyncToken.",
    ) in events
    assert any(event == "unreadable_time" and "2026-13-45" in text for event, text in events)
    assert QboConnection.objects.get().transactions_cdc_watermark >= before
