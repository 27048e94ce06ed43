"""What a person sees of the sync: status columns, the record's QuickBooks section, the
status page with retries, and the action that pushes records from before the connection."""

from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.models import QboAccount, QboConnection, SyncJob
from sales.models import Customer, Invoice
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_invoice(synced, django_capture_on_commit_callbacks):
    """An invoice whose push failed: its Excise Tax is not mapped to an account."""
    tax = factories.TaxFactory(rate=Decimal("15"))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = factories.InvoiceFactory(number="INV-7001")
        factories.InvoiceLineFactory(invoice=invoice)
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=tax)
    return invoice, tax


def test_changelists_show_the_quickbooks_status_without_extra_queries_per_row(
    admin_client, failed_invoice, django_assert_max_num_queries
):
    factories.InvoiceFactory.create_batch(20)  # queued; their on-commit never runs here
    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse("admin:sales_invoice_changelist")).content.decode()
    assert ">Failed<" in page and ">Pending<" in page
    customers = admin_client.get(reverse("admin:sales_customer_changelist")).content.decode()
    assert "Synced" in customers


def test_the_change_form_shows_the_error_and_links_to_quickbooks(admin_client, failed_invoice):
    invoice, _ = failed_invoice
    page = admin_client.get(reverse("admin:sales_invoice_change", args=[invoice.pk]))
    assert "is not mapped to a QuickBooks account" in page.content.decode()
    customer = invoice.customer
    customer.refresh_from_db()
    page = admin_client.get(reverse("admin:sales_customer_change", args=[customer.pk]))
    assert f"/app/customerdetail?nameId={customer.qbo_id}" in page.content.decode()


def test_the_status_page_lists_failures_and_retry_sends_them_once_fixed(
    admin_client, failed_invoice, django_capture_on_commit_callbacks
):
    invoice, tax = failed_invoice
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "Pushes to QuickBooks" in page and "Invoice INV-7001" in page
    assert "is not mapped to a QuickBooks account" in page
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    job = SyncJob.objects.get(qbo_entity="Invoice")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("integrations:outbox_retry"), {"job": job.pk})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert Invoice.objects.get().qbo_id


def test_staff_without_the_permission_cannot_retry(client, django_user_model, failed_invoice):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    assert client.post(reverse("integrations:outbox_retry")).status_code == 403
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.FAILED


def test_the_sync_action_pushes_records_from_before_the_connection(
    admin_client, synced, django_capture_on_commit_callbacks
):
    QboConnection.objects.update(status=QboConnection.Status.DISCONNECTED)
    old = factories.CustomerFactory.create_batch(3)
    assert not SyncJob.objects.exists()
    QboConnection.objects.update(status=QboConnection.Status.CONNECTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:sales_customer_changelist"),
            {"action": "sync_to_quickbooks", "_selected_action": [c.pk for c in old]},
            follow=True,
        )
    assert "3 records queued for QuickBooks as Customer" in response.content.decode()
    assert all(Customer.objects.filter(pk__in=[c.pk for c in old]).values_list("qbo_id", flat=True))
