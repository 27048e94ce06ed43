"""Every synced list shows the QuickBooks status beside the record's name, filters by it, and
says what is true: imported items, the default items the integration made, orders that are
sent only once completed."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from integrations.models import QboItem, SyncJob
from purchases.models import PurchaseOrder
from tests import factories

pytestmark = pytest.mark.django_db

# (changelist, factory of one record) for every synced list.
SYNCED_LISTS = [
    ("sales_invoice", factories.InvoiceFactory),
    ("sales_invoicepayment", factories.InvoicePaymentFactory),
    ("sales_salesreturn", factories.SalesReturnFactory),
    ("sales_customer", factories.CustomerFactory),
    ("purchases_purchaseorder", factories.PurchaseOrderFactory),
    ("purchases_purchasepayment", factories.PurchasePaymentFactory),
    ("purchases_purchasereturn", factories.PurchaseReturnFactory),
    ("purchases_vendor", factories.VendorFactory),
    ("integrations_qboitem", factories.QboItemFactory),
]
# The job each state comes from: (job status, remote change, whether the record has a QBO id).
STATES = {
    "synced": (SyncJob.Status.SUCCEEDED, "", True),
    "pending": (SyncJob.Status.RUNNING, "", True),
    "failed": (SyncJob.Status.FAILED, "", True),
    "paused": (SyncJob.Status.PAUSED, "", False),
    "changed": (SyncJob.Status.SUCCEEDED, "Edited in QuickBooks", True),
    "not_sent": (None, "", False),
}


def record_in_state(factory, state: str):
    status, remote_change, in_qbo = STATES[state]
    record = factory(qbo_id=f"77{state}" if in_qbo else "")
    if status is not None:
        SyncJob.objects.create(
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            label=str(record),
            qbo_entity="Any",
            request_id=f"req-{record.pk}-{state}",
            status=status,
            remote_change=remote_change,
        )
    return record


@pytest.mark.parametrize(("changelist", "factory"), SYNCED_LISTS)
def test_every_synced_list_shows_the_status_second_and_filters_by_it(
    admin_client, changelist, factory
):
    records = {state: record_in_state(factory, state) for state in STATES}
    url = reverse(f"admin:{changelist}_changelist")

    # After the checkbox and the column that names the record.
    assert admin_client.get(url).context["cl"].list_display[2] == "qbo_status"
    for state, record in records.items():
        shown = admin_client.get(url, {"qbo_status": state}).context["cl"].result_list
        assert [row.pk for row in shown] == [record.pk], state


def test_the_filter_offers_the_six_states_in_words(admin_client):
    page = admin_client.get(reverse("admin:sales_invoice_changelist")).content.decode()
    offered = page.split('data-filter-title="QuickBooks status"')[1].split("</details>")[0]
    for words in ["Synced", "Pending", "Failed", "Paused", "Changed in QuickBooks", "Not sent"]:
        assert f">{words}</a>" in offered


def test_imported_items_say_so_and_the_default_items_say_they_were_made_here(admin_client, synced):
    imported = QboItem.objects.exclude(name__startswith="Distru").first()
    assert imported.origin == QboItem.Origin.QBO
    defaults = QboItem.objects.filter(name__in=["Distru Sales", "Distru Purchases"])
    assert {item.origin for item in defaults} == {QboItem.Origin.LOCAL}

    url = reverse("admin:integrations_qboitem_changelist")
    rows = admin_client.get(url, {"qbo_status": "synced"}).context["cl"].result_list
    admin = admin_client.get(url).context["cl"].model_admin
    labels = {row.name: admin.qbo_state_label(row) for row in rows}
    assert labels[imported.name] == "Imported from QuickBooks"
    assert labels["Distru Sales"] == labels["Distru Purchases"] == "Made here"
    assert "Not sent" not in labels.values()


def test_an_order_that_is_not_completed_says_it_is_sent_when_completed(
    admin_client, synced, django_capture_on_commit_callbacks
):
    sample_bills = set(synced.company.objects["Bill"])  # the sample company's own
    with django_capture_on_commit_callbacks(execute=True):
        order = factories.PurchaseOrderFactory(number="PO-DRAFT-1")
        factories.PurchaseOrderLineFactory(purchase_order=order, unit_price=Decimal("4"))
    assert SyncJob.objects.get(qbo_entity="Bill").status == SyncJob.Status.SUCCEEDED
    assert set(synced.company.objects["Bill"]) == sample_bills

    change = admin_client.get(reverse("admin:purchases_purchaseorder_change", args=[order.pk]))
    section = change.content.decode().split("field-qbo_sync_details")[1]
    assert "Sent when completed" in section and ">Synced<" not in section
    listed = admin_client.get(
        reverse("admin:purchases_purchaseorder_changelist"), {"qbo_status": "not_sent"}
    )
    assert [row.pk for row in listed.context["cl"].result_list] == [order.pk]

    with django_capture_on_commit_callbacks(execute=True):
        order.status = PurchaseOrder.Status.COMPLETED
        order.save()
    order.refresh_from_db()
    assert set(synced.company.objects["Bill"]) - sample_bills == {order.qbo_id}
    listed = admin_client.get(
        reverse("admin:purchases_purchaseorder_changelist"), {"qbo_status": "synced"}
    )
    assert [row.pk for row in listed.context["cl"].result_list] == [order.pk]


@pytest.fixture
def failed_invoice(synced, django_capture_on_commit_callbacks):
    """An invoice whose push failed: its Excise Tax is not mapped to an account."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = factories.InvoiceFactory(number="INV-7101")
        factories.InvoiceLineFactory(invoice=invoice)
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=factories.TaxFactory(rate=15))
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.FAILED
    return invoice


def test_failed_warning_and_changed_rows_link_to_their_records(admin_client, failed_invoice):
    customer = failed_invoice.customer
    customer_job = SyncJob.objects.get(qbo_entity="Customer")
    SyncJob.objects.filter(pk=customer_job.pk).update(warning="Sent with the default item.")
    vendor = factories.VendorFactory(name="Vendor edited there")  # its job is queued
    SyncJob.objects.filter(qbo_entity="Vendor").update(
        status=SyncJob.Status.SUCCEEDED, remote_change="Edited in QuickBooks (DisplayName differ)"
    )
    deleted = SyncJob.objects.create(
        content_type=ContentType.objects.get_for_model(vendor),
        object_id="999999",
        label="Deleted vendor",
        qbo_entity="Vendor",
        action=SyncJob.Action.DELETE,
        request_id="req-deleted",
        status=SyncJob.Status.FAILED,
        last_error="Press Retry.",
    )

    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()

    invoice_url = reverse("admin:sales_invoice_change", args=[failed_invoice.pk])
    assert f'<a href="{invoice_url}">Invoice INV-7101</a>' in page
    customer_url = reverse("admin:sales_customer_change", args=[customer.pk])
    assert f'<a href="{customer_url}">{customer_job.label}</a>' in page
    vendor_url = reverse("admin:purchases_vendor_change", args=[vendor.pk])
    assert f'<a href="{vendor_url}">Vendor edited there</a>' in page
    assert f"<td>{deleted.label}</td>" in page  # nothing left here to open


def test_the_panel_icon_opens_the_sync_status_and_the_panel_names_failures_and_pauses(
    admin_client, failed_invoice
):
    panel_url = reverse("integrations:panel")
    status_url = reverse("integrations:quickbooks") + "#outbox"
    page = admin_client.get(panel_url).content.decode()
    icon_link = page.split('class="qb-icon-link"')[0].rsplit("<a ", 1)[1]
    assert f'href="{status_url}"' in icon_link
    assert "1 push failed</a>" in page and "paused" not in page.split("push-problems")[1]

    SyncJob.objects.filter(qbo_entity="Customer").update(status=SyncJob.Status.PAUSED)
    page = admin_client.get(panel_url).content.decode()
    assert "1 push failed</a>" in page and "1 push paused until you reconnect</a>" in page

    SyncJob.objects.update(status=SyncJob.Status.SUCCEEDED)
    page = admin_client.get(panel_url).content.decode()
    assert "Nothing failed or paused." in page
