"""Every priced document's page loads the entry script (a static file, no build step) and gives
it what it reads: where a product's default prices are, the document's side, each tax's rate."""

import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from purchases.models import PurchaseOrder, PurchaseReturn
from sales.models import Invoice, SalesReturn
from tests import factories

pytestmark = pytest.mark.django_db
SCRIPT = "products/document_entry.js"


@pytest.mark.parametrize(
    "model, side",
    [(Invoice, "sales"), (SalesReturn, "sales"), (PurchaseOrder, "purchases"),
     (PurchaseReturn, "purchases")],
)  # fmt: skip
def test_a_document_page_loads_the_script_and_tells_it_where_prices_are(admin_client, model, side):
    product = factories.ProductFactory()
    page = admin_client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    ).content.decode()

    assert f'src="/static/{SCRIPT}"' in page
    assert finders.find(SCRIPT)
    url = re.search(r'data-default-prices-url="([^"]+)"', page).group(1)
    assert f'data-side="{side}"' in page
    answer = admin_client.get(url.replace("{id}", str(product.pk)))
    assert Decimal(answer.json()[side]) == product.default_price(side)


def test_each_tax_offered_on_a_line_carries_its_rate(admin_client):
    excise = factories.TaxFactory(rate="15.0000")

    page = admin_client.get(reverse("admin:sales_invoice_add")).content.decode()

    assert f'<option value="{excise.pk}" data-rate="15.0000">Excise Tax (15%)</option>' in page
