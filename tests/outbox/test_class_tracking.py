"""QBO's class-tracking preferences are followed: read on every sync, and re-read when QBO
refuses a push that carried a class, which then goes again without it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.models import QboClass, QboConnection, QboItem, SyncJob
from integrations.services.changes import changes_sync_run
from purchases.models import PurchaseOrder
from tests import factories
from tests.items.conftest import qbo_item_update
from tests.outbox.conftest import remote

pytestmark = pytest.mark.django_db


def class_tracking_off_in_qbo(sandbox) -> None:
    """Turn both class-tracking preferences off in QBO, as a user of the company would."""
    prefs = remote(sandbox, "Preferences", "")
    off = {"ClassTrackingPerTxn": False, "ClassTrackingPerTxnLine": False}
    answer = sandbox.api(
        "POST",
        "preferences",
        json={
            "Id": prefs["Id"],
            "SyncToken": prefs["SyncToken"],
            "sparse": True,
            "AccountingInfoPrefs": off,
        },
    )
    assert answer.status_code == 200, answer.text
    sandbox.control("requests/clear")


@pytest.fixture
def classed_product(synced):
    """A product whose Purchase item carries an active class; class tracking is on per line."""
    item = QboItem.objects.get(name="Lab Testing Fee")
    QboItem.objects.filter(pk=item.pk).update(qbo_class=QboClass.objects.filter(active=True)[0])
    assert QboConnection.objects.get().class_tracking_per_line
    return factories.ProductFactory(purchase_qbo_item=item)


def completed_bill(push, product, **fields):
    with push():
        order = factories.PurchaseOrderFactory(status=PurchaseOrder.Status.COMPLETED, **fields)
        factories.PurchaseOrderLineFactory(
            purchase_order=order, product=product, quantity=2, unit_price=Decimal("80")
        )
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=order)
    order.refresh_from_db()
    return order


def test_class_tracking_turned_off_in_qbo_does_not_fail_the_next_bill(
    synced, classed_product, push
):
    class_tracking_off_in_qbo(synced)
    order = completed_bill(push, classed_product)

    job = SyncJob.objects.get(qbo_entity="Bill")
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    assert job.warning.startswith("Turn class tracking on in QuickBooks")
    line = remote(synced, "Bill", order.qbo_id)["Line"][0]["ItemBasedExpenseLineDetail"]
    assert "ClassRef" not in line
    connection = QboConnection.objects.get()
    assert not connection.class_tracking_per_line and not connection.class_tracking_per_txn
    assert len(synced.api_requests(method="GET", entity="Preferences")) == 1


def test_a_push_refused_for_another_reason_keeps_its_class_and_its_error(
    synced, classed_product, push
):
    """With class tracking still on, the preferences read changes nothing: QBO's own refusal
    (here books closed, 6210) is what the user sees."""
    synced.fail_next(entity="Bill", operation="create", fault="books_closed")
    completed_bill(push, classed_product)

    job = SyncJob.objects.get(qbo_entity="Bill")
    assert job.status == SyncJob.Status.FAILED
    assert job.last_error_code == "6210"
    assert not job.warning
    assert QboConnection.objects.get().class_tracking_per_line
    assert len(synced.api_requests(method="GET", entity="Preferences")) == 1


def test_the_hourly_sync_reads_the_preferences_when_someone_is_at_work_in_qbo(synced):
    """Preferences are no CDC entity: a pass reads them when the CDC answer shows an edit made
    in QuickBooks (and when a webhook names them, or once a day)."""
    class_tracking_off_in_qbo(synced)
    changes_sync_run()  # nothing new in QBO but the preferences: they wait
    assert QboConnection.objects.get().class_tracking_per_line

    qbo_item_update(synced, "Distribution Fee", UnitPrice=180)
    changes_sync_run()
    assert not QboConnection.objects.get().class_tracking_per_line


def test_sync_now_reads_the_preferences(synced, admin_client):
    class_tracking_off_in_qbo(synced)
    response = admin_client.post(reverse("integrations:sync"))
    assert response.status_code == 302
    assert not QboConnection.objects.get().class_tracking_per_line
