"""Customers, vendors and taxes become QBO names: their forms refuse what QBO refuses.

The QBO item form shares the validator: tests/admin/test_qbo_item_admin.py.
"""

import pytest
from django.urls import reverse

from purchases.models import Vendor
from sales.models import Customer, Tax

pytestmark = pytest.mark.django_db

COLON = "Remove the “:” from the name: QuickBooks reads a colon as the separator"
LINE_BREAK = "Remove the tab or line break from the name: QuickBooks refuses them in names."
PARTY = {"license_number": "", "email": "", "phone": "", "address": "", "active": "on"}


@pytest.mark.parametrize(
    ("url", "data", "model", "message"),
    [
        ("admin:sales_customer_add", {"name": "Green:Leaf", **PARTY}, Customer, COLON),
        ("admin:purchases_vendor_add", {"name": "Emerald\tFarms", **PARTY}, Vendor, LINE_BREAK),
        ("admin:sales_tax_add", {"name": "Excise:State", "rate": "15", "applies_to": "none",
                                 "active": "on"}, Tax, COLON),
    ],
)  # fmt: skip
def test_a_name_qbo_would_refuse_is_refused_with_what_to_do(
    admin_client, url, data, model, message
):
    response = admin_client.post(reverse(url), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not model.objects.exists()


def test_a_plain_name_is_still_saved(admin_client):
    response = admin_client.post(
        reverse("admin:sales_customer_add"), {"name": "Green Leaf; Wellness (#2)", **PARTY}
    )

    assert response.status_code == 302
    assert Customer.objects.get().name == "Green Leaf; Wellness (#2)"
