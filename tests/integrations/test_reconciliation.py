"""Reconciliation: a month's documents here and in QuickBooks side by side, from one paged
query per document type, and every document that differs or is on one side only."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from integrations.models import QboAccount, QboConnection, Reconciliation, SyncJob, SyncRun
from integrations.outbox.jobs import sync_job_record
from integrations.qbo.errors import QboValidationError
from integrations.services import reconciliation as service
from integrations.services.changes import changes_sync_run
from integrations.tasks import reconciliation_run_task
from products.services import priced_document_recalculate
from purchases.models import PurchaseOrder, PurchasePayment, PurchaseReturn
from sales.models import Invoice, InvoicePayment, SalesReturn, Tax
from tests import factories

pytestmark = pytest.mark.django_db

OCTOBER = "2026-10"
QUERY_OF_OCTOBER = "WHERE TxnDate >= '2026-10-01' AND TxnDate <= '2026-10-31'"
URL = reverse("integrations:reconciliation")


@pytest.fixture
def push(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def priced(document, line_factory, parent: str, quantity="4", price="25"):
    line_factory(**{parent: document}, quantity=Decimal(quantity), unit_price=Decimal(price))
    priced_document_recalculate(document=document)
    return document


def invoice_of(day: date, **fields) -> Invoice:
    invoice = factories.InvoiceFactory(
        invoice_date=day, due_date=day + timedelta(days=30), **fields
    )
    return priced(invoice, factories.InvoiceLineFactory, "invoice")


def october_documents(push) -> dict:
    """One document of each type in October 2026, each pushed; an invoice of November too."""
    with push():
        invoice = invoice_of(date(2026, 10, 5))
        order = priced(
            factories.PurchaseOrderFactory(
                order_date=date(2026, 10, 6), status=PurchaseOrder.Status.COMPLETED
            ),
            factories.PurchaseOrderLineFactory,
            "purchase_order",
        )
        sales_return = priced(
            factories.SalesReturnFactory(return_date=date(2026, 10, 7)),
            factories.SalesReturnLineFactory,
            "sales_return",
            quantity="1",
        )
        purchase_return = priced(
            factories.PurchaseReturnFactory(return_date=date(2026, 10, 8)),
            factories.PurchaseReturnLineFactory,
            "purchase_return",
            quantity="1",
        )
        invoice_of(date(2026, 11, 1))
    with push():
        factories.InvoicePaymentFactory(
            invoice=invoice, amount=Decimal("40.00"), paid_on=date(2026, 10, 20)
        )
        factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("30.00"), paid_on=date(2026, 10, 21)
        )
    assert not SyncJob.objects.exclude(status=SyncJob.Status.SUCCEEDED).exists()
    return {"invoice": invoice, "order": order, "returns": (sales_return, purchase_return)}


def compare(client, push, month=OCTOBER) -> Reconciliation:
    """Press Compare with QuickBooks for `month` (the worker's task runs inline in tests)."""
    with push():
        response = client.post(URL, {"month": month})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?month={month}"
    return Reconciliation.objects.select_related("run").latest("pk")


def summary_of(reconciliation) -> dict:
    return {row["entity"]: row for row in reconciliation.summary}


def test_a_month_side_by_side_costs_one_query_per_document_type(synced, admin_client, push):
    october_documents(push)
    synced.control("requests/clear")

    reconciliation = compare(admin_client, push)

    assert reconciliation.run.status == SyncRun.Status.SUCCEEDED
    assert reconciliation.run.message == "Every document matches."
    queries = synced.api_requests(operation="query")
    assert len(queries) == reconciliation.reads == 6
    assert len(synced.state()["requests"]) == 6  # nothing else was read
    assert {entry["entity"] for entry in queries} == {
        "Invoice", "Payment", "Bill", "BillPayment", "CreditMemo", "VendorCredit",
    }  # fmt: skip
    for entry in queries:
        (text,) = parse_qs(entry["query"])["query"]
        assert text.startswith("SELECT Id, TxnDate, TotalAmt")  # only the fields compared
        assert QUERY_OF_OCTOBER in text
    assert [row["entity"] for row in reconciliation.summary] == [
        "Invoice", "Payment", "Bill", "BillPayment", "CreditMemo", "VendorCredit",
    ]  # fmt: skip
    rows = summary_of(reconciliation)
    assert rows["Bill"]["here_label"] == "completed purchase orders"
    assert rows["Invoice"] == {
        "entity": "Invoice", "label": "Invoices", "here_label": "invoices",
        "here_count": 1, "here_total": "100.00", "qbo_count": 1, "qbo_total": "100.00",
        "difference": "0.00", "matched": 1, "all_matched": True,
    }  # fmt: skip
    assert rows["Payment"]["qbo_total"] == rows["Payment"]["here_total"] == "40.00"
    assert rows["BillPayment"]["qbo_total"] == "30.00"
    assert all(row["all_matched"] and row["here_count"] == 1 for row in rows.values())
    assert reconciliation.differences == []

    page = admin_client.get(URL, {"month": OCTOBER}).content.decode()
    assert "Every document matches." in page and "1 document matched" in page
    assert len(synced.state()["requests"]) == 6  # showing it again reads nothing


def test_the_query_is_the_one_real_qbo_is_sent(synced, admin_client, push):
    synced.control("requests/clear")
    compare(admin_client, push)
    invoice_query = synced.api_requests(operation="query", entity="Invoice")[0]["query"]
    assert parse_qs(invoice_query)["query"] == [
        "SELECT Id, TxnDate, TotalAmt, DocNumber FROM Invoice "  # noqa: S608 - what QBO is sent
        f"{QUERY_OF_OCTOBER} STARTPOSITION 1 MAXRESULTS 1000"
    ]
    payment_query = synced.api_requests(operation="query", entity="Payment")[0]["query"]
    sent = parse_qs(payment_query)["query"][0]
    assert sent.startswith(f"SELECT Id, TxnDate, TotalAmt FROM Payment {QUERY_OF_OCTOBER}")  # noqa: S608


def test_a_month_of_more_documents_than_a_page_is_read_page_by_page(
    synced, admin_client, push, monkeypatch
):
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    with push():
        for day in (3, 4, 5):
            invoice_of(date(2026, 10, day))
    synced.control("requests/clear")

    reconciliation = compare(admin_client, push)

    invoice_reads = synced.api_requests(operation="query", entity="Invoice")
    assert len(invoice_reads) == 2  # a full page of two, then the last one
    assert reconciliation.reads == len(synced.api_requests(operation="query")) == 7
    assert summary_of(reconciliation)["Invoice"]["qbo_count"] == 3
    assert reconciliation.differences == []


def test_documents_that_differ_or_are_on_one_side_only_are_listed_with_what_to_do(
    synced, admin_client, push
):
    QboConnection.objects.update(status=QboConnection.Status.DISCONNECTED)
    never_sent = invoice_of(date(2026, 10, 2), number="INV-OLD")  # before the connection
    QboConnection.objects.update(status=QboConnection.Status.CONNECTED)
    with push():
        edited = invoice_of(date(2026, 10, 3), number="INV-EDITED")
        deleted = invoice_of(date(2026, 10, 4), number="INV-GONE")
        moved = invoice_of(date(2026, 10, 31), number="INV-MOVED")
        refused = invoice_of(date(2026, 10, 9), number="INV-TAXED")
        factories.InvoiceTaxLineFactory(invoice=refused, tax=factories.TaxFactory())
    for invoice in (edited, deleted, moved):
        invoice.refresh_from_db()
    # In QuickBooks: one total edited, one deleted, one made there.
    current = synced.api("GET", f"invoice/{edited.qbo_id}").json()["Invoice"]
    line = current["Line"][0] | {"Amount": 120, "SalesItemLineDetail": current["Line"][0][
        "SalesItemLineDetail"] | {"UnitPrice": 30}}  # fmt: skip
    synced.api("POST", "invoice", json={"Id": edited.qbo_id, "SyncToken": current["SyncToken"],
                                        "sparse": True, "Line": [line]})  # fmt: skip
    token = synced.api("GET", f"invoice/{deleted.qbo_id}").json()["Invoice"]["SyncToken"]
    synced.api("POST", "invoice", params={"operation": "delete"},
               json={"Id": deleted.qbo_id, "SyncToken": token})  # fmt: skip
    made_there = synced.api("POST", "invoice", json={
        "CustomerRef": {"value": "1"}, "DocNumber": "QB-ONLY", "TxnDate": "2026-10-15",
        "Line": [{"Amount": 55, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}],
    }).json()["Invoice"]  # fmt: skip
    # Here: one moved into November without telling QuickBooks.
    Invoice.objects.filter(pk=moved.pk).update(invoice_date=date(2026, 11, 2))

    reconciliation = compare(admin_client, push)

    row = summary_of(reconciliation)["Invoice"]
    assert (row["here_count"], row["qbo_count"], row["matched"]) == (4, 3, 0)
    assert (row["here_total"], row["qbo_total"], row["difference"]) == (
        "400.00", "275.00", "-125.00",
    )  # fmt: skip
    assert not row["all_matched"]
    found = {item["label"]: item for item in reconciliation.differences}
    assert set(found) == {
        "Invoice INV-EDITED", "Invoice INV-GONE", "Invoice INV-MOVED", "Invoice INV-OLD",
        "Invoice INV-TAXED", "Invoice QB-ONLY",
    }  # fmt: skip
    assert found["Invoice INV-EDITED"]["what"] == [
        "Correct the side that is wrong: saving it here sends ours to QuickBooks again.",
        "Total is 120.00 in QuickBooks, 100.00 here",
    ]
    assert found["Invoice INV-EDITED"]["status"] == "Differs"
    assert found["Invoice INV-GONE"]["status"] == "Not in QuickBooks"
    assert found["Invoice INV-GONE"]["what"][0].startswith("Open it in QuickBooks to see")
    assert found["Invoice INV-MOVED"]["what"][1:] == [
        "Date is 2026-10-31 in QuickBooks, 2026-11-02 here"
    ]
    assert found["Invoice INV-MOVED"]["status"] == "Differs"
    assert found["Invoice INV-OLD"]["what"][0].startswith("Select it in its list and run")
    assert found["Invoice INV-TAXED"]["what"][0].startswith("“Excise Tax” is not mapped")
    assert found["Invoice QB-ONLY"]["status"] == "Only in QuickBooks"
    assert found["Invoice QB-ONLY"]["what"][0].startswith("Record it here if it belongs")
    assert found["Invoice QB-ONLY"]["here_url"] == ""
    assert found["Invoice QB-ONLY"]["qbo_url"].endswith(f"/app/invoice?txnId={made_there['Id']}")
    assert found["Invoice INV-OLD"]["here_url"] == reverse(
        "admin:sales_invoice_change", args=[never_sent.pk]
    )
    assert found["Invoice INV-EDITED"]["qbo_url"].endswith(f"invoice?txnId={edited.qbo_id}")

    page = admin_client.get(URL, {"month": OCTOBER}).content.decode()
    assert "6 documents differ or are on one side only." in page
    assert "0 of 4 matched" in page
    assert "Total is 120.00 in QuickBooks, 100.00 here" in page
    assert f'href="{found["Invoice INV-OLD"]["here_url"]}"' in page


def test_a_document_the_hourly_check_saw_deleted_in_quickbooks_says_so(synced, admin_client, push):
    with push():
        invoice = invoice_of(date(2026, 10, 5))
    invoice.refresh_from_db()
    token = synced.api("GET", f"invoice/{invoice.qbo_id}").json()["Invoice"]["SyncToken"]
    synced.api("POST", "invoice", params={"operation": "delete"},
               json={"Id": invoice.qbo_id, "SyncToken": token})  # fmt: skip
    changes_sync_run()

    (gone,) = compare(admin_client, push).differences

    assert gone["what"] == [
        "Save it here to send it again, or delete it here too: it was deleted in QuickBooks."
    ]


@pytest.mark.parametrize(
    ("status", "what"),
    [
        (SyncJob.Status.PENDING, "Nothing to do: it is on its way to QuickBooks."),
        (SyncJob.Status.PAUSED, "Reconnect to QuickBooks: its push waits until then."),
    ],
)
def test_a_document_still_on_its_way_says_whether_anything_is_to_be_done(
    synced, admin_client, push, django_capture_on_commit_callbacks, status, what
):
    with django_capture_on_commit_callbacks(execute=False):  # written, not yet pushed
        invoice = invoice_of(date(2026, 10, 5))
    SyncJob.objects.filter(qbo_entity="Invoice").update(status=status)

    (waiting,) = compare(admin_client, push).differences

    assert (waiting["label"], waiting["status"]) == (str(invoice), "Not in QuickBooks")
    assert waiting["what"] == [what]


def test_a_payment_deleted_here_and_voided_in_quickbooks_says_so(synced, admin_client, push):
    with push():
        invoice = invoice_of(date(2026, 10, 5))
    with push():
        payment = factories.InvoicePaymentFactory(invoice=invoice, paid_on=date(2026, 10, 6))
    synced.fail_next(entity="Payment", operation="delete", status=400, code="6000")
    with push():
        InvoicePayment.objects.get(pk=payment.pk).delete()  # QBO refuses; it is voided

    reconciliation = compare(admin_client, push)

    (voided,) = reconciliation.differences
    assert voided["status"] == "Only in QuickBooks"
    assert voided["label"] == "Payment 100.00 on invoice " + invoice.number
    assert voided["what"] == ["Nothing to do: it was deleted here, and QuickBooks keeps it voided."]
    assert voided["qbo_total"] == "0.00"


def test_the_demo_data_once_pushed_matches_in_every_month(synced, admin_client, push):
    QboConnection.objects.update(status=QboConnection.Status.DISCONNECTED)
    call_command("seed_demo", verbosity=0)
    QboConnection.objects.update(status=QboConnection.Status.CONNECTED)
    Tax.objects.update(qbo_account=QboAccount.objects.get(name="Excise Tax Payable"))
    models = [Invoice, InvoicePayment, SalesReturn, PurchaseOrder, PurchasePayment, PurchaseReturn]
    with push():  # what "Sync to QuickBooks" does on each list
        for model in models:
            for record in model.objects.all():
                sync_job_record(record=record)
    assert not SyncJob.objects.exclude(status=SyncJob.Status.SUCCEEDED).exists()

    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        reconciliation = compare(admin_client, push, month)
        assert reconciliation.differences == [], month
        assert all(row["all_matched"] for row in reconciliation.summary), month
    september = summary_of(Reconciliation.objects.get(period_start=date(2026, 9, 1)))
    assert all(row["here_count"] for row in september.values())  # every type has some


def test_the_page_opens_on_this_month_and_says_it_was_not_compared_yet(admin_client, synced):
    quickbooks = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert f'href="{URL}"' in quickbooks
    page = admin_client.get(URL).content.decode()
    this_month = timezone.localdate()
    assert f'value="{this_month:%Y-%m}"' in page
    assert f"Not compared yet for {this_month:%B %Y}." in page
    assert not synced.api_requests(operation="query")


def test_a_month_that_is_not_a_month_is_refused_in_words(admin_client, synced, push):
    response = admin_client.get(URL, {"month": "2026-13"})
    assert "Choose a month as year and month, such as 2026-10." in response.content.decode()
    with push():
        response = admin_client.post(URL, {"month": "October"}, follow=True)
    assert "Choose a month as year and month, such as 2026-10." in response.content.decode()
    assert not Reconciliation.objects.exists()


def test_staff_without_the_permission_read_the_page_but_cannot_compare(
    client, django_user_model, synced, admin_client, push
):
    compare(admin_client, push)
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    page = client.get(URL, {"month": OCTOBER}).content.decode()
    assert "Every document matches." in page
    assert "Compare with QuickBooks" not in page
    assert client.post(URL, {"month": OCTOBER}).status_code == 403
    assert Reconciliation.objects.count() == 1
    client.logout()
    assert client.get(URL).status_code == 302  # to the login page


def test_without_a_connection_nothing_is_queued_and_the_page_says_reconnect(
    admin_client, synced, push
):
    QboConnection.objects.update(status=QboConnection.Status.EXPIRED)
    with push():
        response = admin_client.post(URL, {"month": OCTOBER}, follow=True)
    said = "Connect or reconnect to QuickBooks first, then compare the month."
    assert said in response.content.decode()
    assert not Reconciliation.objects.exists()


def test_a_read_quickbooks_refuses_fails_the_run_and_the_page_says_what_to_do(
    admin_client, synced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(URL, {"month": OCTOBER})
    queued = Reconciliation.objects.get()
    synced.fail_next(entity="Bill", operation="query", status=400, code="4000")

    with pytest.raises(QboValidationError):  # as the worker runs it: the task fails, logged
        reconciliation_run_task(queued.run_id)

    queued.run.refresh_from_db()
    assert queued.run.status == SyncRun.Status.FAILED
    page = admin_client.get(URL, {"month": OCTOBER}).content.decode()
    assert "Press <strong>Compare with QuickBooks</strong> to try again: reading QuickBooks" in page
    assert "Injected by the sandbox" in page


def test_while_quickbooks_is_read_the_page_shows_progress_and_a_second_press_waits(
    admin_client, synced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # no worker has taken it yet
        admin_client.post(URL, {"month": OCTOBER})
        admin_client.post(URL, {"month": OCTOBER})
    running = Reconciliation.objects.select_related("run").get()
    assert running.run.status == SyncRun.Status.RUNNING
    page = admin_client.get(URL, {"month": OCTOBER}).content.decode()
    assert "Reconciliation with QuickBooks in progress" in page
    assert '<meta http-equiv="refresh" content="3">' in page

    SyncRun.objects.update(started_at=timezone.now() - timedelta(minutes=6))  # its worker died
    page = admin_client.get(URL, {"month": OCTOBER}).content.decode()
    assert "stopped without finishing" in page
    assert '<meta http-equiv="refresh"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(URL, {"month": OCTOBER})
    latest = Reconciliation.objects.select_related("run").latest("pk")
    assert latest != running and latest.run.status == SyncRun.Status.SUCCEEDED


@pytest.mark.parametrize("qbo_seed", ["us-ast"], indirect=True)
def test_a_company_numbering_its_own_sales_forms_still_matches_them(
    qbo_seed, synced, admin_client, push
):
    """With CustomTxnNumbers off QBO gives invoices and credit memos its own numbers (Intuit:
    send none), so their numbers are not compared: the month still matches."""
    assert not QboConnection.objects.get().custom_txn_numbers
    with push():
        invoice = invoice_of(date(2026, 10, 5))
        priced(
            factories.SalesReturnFactory(return_date=date(2026, 10, 7)),
            factories.SalesReturnLineFactory,
            "sales_return",
            quantity="1",
        )
    invoice.refresh_from_db()
    assert synced.api("GET", f"invoice/{invoice.qbo_id}").json()["Invoice"]["DocNumber"] != (
        invoice.number
    )

    reconciliation = compare(admin_client, push)

    assert reconciliation.differences == []
    assert reconciliation.run.message == "Every document matches."
