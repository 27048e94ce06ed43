"""One-way sync: edits and deletes made in QBO are flagged, and nothing here changes."""

import json
from datetime import timedelta
from decimal import Decimal
from urllib import parse

import pytest
from django.utils import timezone

from integrations.models import QboConnection, SyncJob, SyncRun
from integrations.sandbox.entities import SPECS
from integrations.services.changes import change_entities, changes_sync_run
from integrations.services.remote_changes import transaction_entities
from tests import factories
from tests.outbox.test_documents import make_invoice, remote

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


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
    run = changes_sync_run()
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
    changes_sync_run()
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
    run = changes_sync_run()
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == "Deleted in QuickBooks"
    assert run.details[0]["event"] == "changed_in_qbo"
    assert run.message.endswith("; 1 changed in QuickBooks")


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
    run = changes_sync_run()

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
    assert QboConnection.objects.get().changes_watermark >= before


def qbo_documents_bulk_create(sandbox, entity: str, count: int) -> None:
    """Documents made in QBO a minute ago, none of them from here (a busy day in QuickBooks)."""
    line = {"Amount": 1, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    body = {"CustomerRef": {"value": "1"}, "Line": [line]}
    with sandbox.backend.lock:
        for _ in range(count):
            sandbox.company.create(SPECS[entity], body, at=sandbox.backend.now() - MINUTE)


def qbo_invoice_edit(sandbox, invoice) -> None:
    current = remote(sandbox, "Invoice", invoice.qbo_id)
    body = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True,
            "TxnDate": "2026-11-20"}  # fmt: skip
    sandbox.api("POST", "invoice", json=body).raise_for_status()


def test_an_answer_of_1000_across_types_is_asked_for_type_by_type(synced, pushed_invoice):
    """QBO's cap of 1000 is on the whole CDC answer: 600 invoices and 400 credit memos fill
    it, and the edit made after them, left out, is still flagged."""
    qbo_documents_bulk_create(synced, "Invoice", 600)
    qbo_documents_bulk_create(synced, "CreditMemo", 400)
    qbo_invoice_edit(synced, pushed_invoice)
    synced.control("requests/clear")

    run = changes_sync_run()

    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == (
        "Edited in QuickBooks: Date is 2026-11-20 in QuickBooks, "
        f"{pushed_invoice.invoice_date} here"
    )
    asked = [
        parse.parse_qs(call["query"])["entities"][0]
        for call in synced.api_requests(operation="cdc")
    ]
    assert asked == [",".join(change_entities()), *transaction_entities()]
    changes_run = SyncRun.objects.filter(kind=SyncRun.Kind.CHANGES).first()
    assert changes_run.details[0]["event"] == "capped"
    assert run.kind == SyncRun.Kind.ITEMS_FULL  # the lists, too, may have been left out
    assert timezone.now() - QboConnection.objects.get().changes_watermark < MINUTE


def test_a_type_at_the_cap_by_itself_is_read_again_document_by_document(
    synced, pushed_invoice, django_capture_on_commit_callbacks
):
    """1000 invoices changed in QBO: every invoice pushed from here is read by Id, so an edit
    and a delete the CDC answer left out are both flagged, and the watermark moves on."""
    tax = pushed_invoice.tax_lines.get().tax
    deleted = make_invoice(lambda: django_capture_on_commit_callbacks(execute=True), tax)
    qbo_documents_bulk_create(synced, "Invoice", 1000)
    qbo_invoice_edit(synced, pushed_invoice)
    current = remote(synced, "Invoice", deleted.qbo_id)
    body = {"Id": current["Id"], "SyncToken": current["SyncToken"]}
    synced.api("POST", "invoice", params={"operation": "delete"}, json=body).raise_for_status()

    changes_sync_run()

    flagged = dict(
        SyncJob.objects.filter(qbo_entity="Invoice").values_list("qbo_id", "remote_change")
    )
    assert flagged == {
        pushed_invoice.qbo_id: "Edited in QuickBooks: Date is 2026-11-20 in QuickBooks, "
        f"{pushed_invoice.invoice_date} here",
        deleted.qbo_id: "Deleted in QuickBooks",
    }
    changes_run = SyncRun.objects.filter(kind=SyncRun.Kind.CHANGES).first()
    assert [note["event"] for note in changes_run.details][:2] == ["capped", "reconcile"]
    assert timezone.now() - QboConnection.objects.get().changes_watermark < MINUTE
