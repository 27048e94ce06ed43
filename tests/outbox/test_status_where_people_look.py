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
    with django_capture_on_commit_callbacks(execute=True):
        order = factories.PurchaseOrderFactory(number="PO-DRAFT-1")
        factories.PurchaseOrderLineFactory(purchase_order=order, unit_price=Decimal("4"))
    assert SyncJob.objects.get(qbo_entity="Bill").status == SyncJob.Status.SUCCEEDED
    assert not synced.company.objects["Bill"]

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
    assert [bill["Id"] for bill in synced.company.objects["Bill"].values()] == [order.qbo_id]
    listed = admin_client.get(
        reverse("admin:purchases_purchaseorder_changelist"), {"qbo_status": "synced"}
    )
    assert [row.pk for row in listed.context["cl"].result_list] == [order.pk]
