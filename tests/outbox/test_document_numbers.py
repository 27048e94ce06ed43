"""Document numbers QBO refuses to repeat: what the product sends, and what it says on a 6140."""

from decimal import Decimal

import pytest

from integrations.models import SyncJob
from tests import factories
from tests.outbox.conftest import remote
from tests.outbox.test_documents import completed_order

pytestmark = pytest.mark.django_db

def test_a_purchase_payment_reference_goes_to_the_memo_so_it_may_repeat(synced, push):
    """Two payments with the reference "ACH" both land; DocNumber (the check number) is unset."""
    order = completed_order(push)
    with push():
        first = factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("100"), reference="ACH"
        )
        second = factories.PurchasePaymentFactory(
            purchase_order=order, amount=Decimal("50"), reference="ACH"
        )
    for payment in (first, second):
        payment.refresh_from_db()
        body = remote(synced, "BillPayment", payment.qbo_id)
        assert body["PrivateNote"] == "ACH"
        assert "DocNumber" not in body
    assert not SyncJob.objects.filter(status=SyncJob.Status.FAILED).exists()
