"""The outbox's one error contract: every failure needs the user (and says what to do) or waits.

Faults come from the sandbox over HTTP: its own rules, or fail-next in QBO's own wording.
"""

from dataclasses import replace

import pytest
from django.urls import reverse

from integrations.models import QboAccount, QboConnection, SyncJob
from integrations.outbox.jobs import sync_jobs_retry
from integrations.outbox.runner import sync_job_run, sync_jobs_drain
from integrations.qbo.client import QboClient, select
from integrations.services.connection import ConnectionTokenProvider, qbo_config
from integrations.services.mirror import company_mirror_refresh
from integrations.tasks import default_items_ensure_task
from products.services import priced_document_recalculate
from sales.models import Customer, Invoice
from tests import factories
from tests.integrations.test_connect_flow import connect

pytestmark = pytest.mark.django_db


def save_invoice(capture, *, run: bool = True, **fields) -> Invoice:
    """An invoice of one line for an unmapped product (so on the default item), pushed if run."""
    with capture(execute=run):
        invoice = factories.InvoiceFactory(**fields)
        factories.InvoiceLineFactory(invoice=invoice)
        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    return invoice


def client_with(*, max_retries: int) -> QboClient:
    """A client that gives up after `max_retries`, so one job run sees the failure."""
    config = replace(qbo_config(), max_retries=max_retries)
    return QboClient(config, QboConnection.objects.get().realm_id, ConnectionTokenProvider())


def queue_customers(capture, count: int) -> list[Customer]:
    """Customers whose jobs are written, and left for the sweeper."""
    with capture(execute=False):
        return [factories.CustomerFactory() for _ in range(count)]


def invoice_job() -> SyncJob:
    return SyncJob.objects.get(qbo_entity="Invoice")


def in_qbo(sandbox, doc_number: str) -> list[dict]:
    return sandbox.query(select("Invoice", {"DocNumber": doc_number})).get("Invoice", [])


def test_a_retry_after_a_fixed_duplicate_doc_number_has_a_new_requestid_and_lands_once(
    synced, admin_client, django_capture_on_commit_callbacks
):
    """QBO replays a fault for its requestid: once the user fixed the clash, Retry must not."""
    line = {"Amount": 50, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}  # fmt: skip
    other = {"CustomerRef": {"value": "1"}, "DocNumber": "INV-1001", "Line": [line]}
    other = synced.api("POST", "invoice", json=other).json()["Invoice"]

    invoice = save_invoice(django_capture_on_commit_callbacks, number="INV-1001")

    job = invoice_job()
    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "6140")
    assert "QuickBooks said: Duplicate Document Number Error" in job.last_error
    rename = {"Id": other["Id"], "SyncToken": other["SyncToken"], "sparse": True,
              "DocNumber": "INV-1001-A"}  # fmt: skip
    assert synced.api("POST", "invoice", json=rename).status_code == 200  # fixed in QBO

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("integrations:outbox_retry"), {"job": job.pk})

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice_job().status == SyncJob.Status.SUCCEEDED
    assert [row["Id"] for row in in_qbo(synced, "INV-1001")] == [invoice.qbo_id]
    ours = [r for r in synced.api_requests(entity="Invoice", operation="create") if r["requestid"]]
    assert [r["status"] for r in ours] == [400, 200]
    assert ours[0]["requestid"] != ours[1]["requestid"]


def test_an_ambiguous_failure_keeps_its_requestid_so_the_retry_finds_the_first_write(
    synced, django_capture_on_commit_callbacks
):
    """No answer (the write may have happened): the job tries again with the same requestid."""
    invoice = save_invoice(django_capture_on_commit_callbacks, run=False)
    once = client_with(max_retries=0)
    synced.fail_next(entity="Invoice", operation="create", drop_after_commit=True)

    job = sync_job_run(job_id=invoice_job().pk, client=once)

    assert job.status == SyncJob.Status.PENDING and "retried automatically" in job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.updated_at)
    assert sync_job_run(job_id=job.pk, client=once).status == SyncJob.Status.SUCCEEDED
    invoice.refresh_from_db()
    creates = synced.api_requests(entity="Invoice", operation="create")
    assert len(creates) == 2 and len({r["requestid"] for r in creates}) == 1
    assert [row["Id"] for row in in_qbo(synced, invoice.number)] == [invoice.qbo_id]


def test_a_throttle_after_an_unanswered_attempt_keeps_the_requestid_so_nothing_is_doubled(
    synced, django_capture_on_commit_callbacks
):
    """The 429 is the gateway's and says nothing of the first attempt, which went through."""
    invoice = save_invoice(django_capture_on_commit_callbacks, run=False)
    twice = client_with(max_retries=1)
    synced.fail_next(entity="Invoice", operation="create", drop_after_commit=True)
    synced.fail_next(entity="Invoice", operation="create", status=429)

    job = sync_job_run(job_id=invoice_job().pk, client=twice)

    assert (job.status, job.last_error_code) == (SyncJob.Status.PENDING, "3001")
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.updated_at)
    assert sync_job_run(job_id=job.pk, client=twice).status == SyncJob.Status.SUCCEEDED
    invoice.refresh_from_db()
    assert [row["Id"] for row in in_qbo(synced, invoice.number)] == [invoice.qbo_id]


def test_a_120_pauses_the_connection_saying_to_reconnect_as_an_admin_and_is_not_retried(
    synced, admin_client, django_capture_on_commit_callbacks
):
    customers = queue_customers(django_capture_on_commit_callbacks, 3)
    synced.fail_next(entity="Customer", fault="authorization_failure", times=2)

    sync_jobs_drain()

    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.EXPIRED
    assert connection.status_reason.startswith(
        "Reconnect to QuickBooks signed in as an admin user of the company"
    )
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.PAUSED}
    first = SyncJob.objects.get(last_error_code="120")
    assert first.last_error.startswith("Reconnect to QuickBooks signed in as an admin user")
    # One request and the client's one try after refreshing the token; nothing after that.
    assert len(synced.api_requests(entity="Customer")) == 2
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "signed in as an admin user of the company" in page

    with django_capture_on_commit_callbacks(execute=True):
        connect(admin_client)

    assert QboConnection.objects.get().status_reason == ""
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    assert all(Customer.objects.get(pk=c.pk).qbo_id for c in customers)


def test_a_120_sent_as_a_server_error_is_retried_later_not_paused(
    synced, django_capture_on_commit_callbacks
):
    """minimul/qbo_api#96: "AuthorizationFailure: Unknown Error during Authentication, 500"."""
    queue_customers(django_capture_on_commit_callbacks, 1)
    once = client_with(max_retries=0)
    synced.fail_next(entity="Customer", status=500, code="120")

    job = sync_job_run(job_id=SyncJob.objects.get().pk, client=once)

    assert job.status == SyncJob.Status.PENDING and job.last_error_code == "120"
    assert QboConnection.objects.get().status == QboConnection.Status.CONNECTED


def test_an_ended_subscription_pauses_every_push_saying_to_renew_it(
    synced, admin_client, django_capture_on_commit_callbacks
):
    customers = queue_customers(django_capture_on_commit_callbacks, 2)
    synced.fail_next(entity="Customer", operation="create", fault="subscription_ended")

    sync_jobs_drain()

    connection = QboConnection.objects.get()
    assert connection.status == QboConnection.Status.EXPIRED
    assert connection.status_reason.startswith("Renew the QuickBooks subscription")
    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.PAUSED}
    assert len(synced.api_requests(entity="Customer", operation="create")) == 1

    with django_capture_on_commit_callbacks(execute=True):
        connect(admin_client)  # renewed, then reconnected: QBO's kept 6190 is not replayed

    assert set(SyncJob.objects.values_list("status", flat=True)) == {SyncJob.Status.SUCCEEDED}
    assert all(Customer.objects.get(pk=c.pk).qbo_id for c in customers)


def test_a_document_in_a_closed_period_fails_saying_what_to_do_and_retry_sends_it(
    synced, django_capture_on_commit_callbacks
):
    synced.fail_next(entity="Invoice", operation="create", fault="books_closed")

    invoice = save_invoice(django_capture_on_commit_callbacks)

    job = invoice_job()
    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "6210")
    assert job.last_error.startswith("Reopen the period in QuickBooks")
    assert QboConnection.objects.get().status == QboConnection.Status.CONNECTED
    with django_capture_on_commit_callbacks(execute=True):
        sync_jobs_retry(job_ids=[job.pk])  # the user reopened the period in QuickBooks
    invoice.refresh_from_db()
    assert invoice_job().status == SyncJob.Status.SUCCEEDED
    assert [row["Id"] for row in in_qbo(synced, invoice.number)] == [invoice.qbo_id]


def test_an_error_in_distru_itself_fails_visibly_saying_to_retry(
    synced, django_capture_on_commit_callbacks, monkeypatch
):
    from sales.qbo import CustomerAdapter

    def broken(self, record, *, context):
        raise KeyError("BillAddr")

    monkeypatch.setattr(CustomerAdapter, "payload", broken)
    with django_capture_on_commit_callbacks(execute=True):
        factories.CustomerFactory()

    job = SyncJob.objects.get()
    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "internal")
    assert job.last_error.startswith("Press Retry") and "KeyError('BillAddr')" in job.last_error


def test_a_document_saved_while_the_default_items_are_being_made_waits_and_then_goes(
    chart, django_capture_on_commit_callbacks
):
    """Key accounts just chosen: "Distru Sales" is still being made when the invoice is saved."""
    invoice = save_invoice(django_capture_on_commit_callbacks)

    job = invoice_job()
    assert (job.status, job.last_error_code) == (SyncJob.Status.PENDING, "default-item")
    assert job.last_error.startswith(
        "Nothing to do here; it is retried automatically: Waiting for the item “Distru Sales”"
    )
    assert SyncJob.objects.get(qbo_entity="Customer").status == SyncJob.Status.SUCCEEDED

    with django_capture_on_commit_callbacks(execute=True):
        default_items_ensure_task()  # what saving the key accounts queued

    invoice.refresh_from_db()
    assert invoice_job().status == SyncJob.Status.SUCCEEDED
    [pushed] = in_qbo(chart, invoice.number)
    sales = chart.query("SELECT * FROM Item WHERE Name = 'Distru Sales'")["Item"][0]
    assert pushed["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == sales["Id"]


def test_without_key_accounts_a_document_says_which_to_choose_and_goes_once_chosen(
    qbo_connected, qbo_sandbox, admin_client, django_capture_on_commit_callbacks
):
    company_mirror_refresh()
    invoice = save_invoice(django_capture_on_commit_callbacks)

    job = invoice_job()
    assert (job.status, job.last_error_code) == (SyncJob.Status.FAILED, "default-item")
    assert job.last_error.startswith("Choose the Default Income account under Key accounts")

    accounts = QboAccount.objects.filter(active=True)
    choices = {
        "default_income_account": accounts.get(name="Sales of Product Income").pk,
        "default_expense_account": accounts.get(name="Cost of Goods Sold").pk,
        "sales_deposit_account": accounts.get(name="Checking").pk,
        "purchase_deposit_account": accounts.get(name="Checking").pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("integrations:key_accounts"), choices)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice_job().status == SyncJob.Status.SUCCEEDED and invoice.qbo_id
