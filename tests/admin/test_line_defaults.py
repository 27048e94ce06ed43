"""A new line takes its product's default price (the sale price on sales documents, the cost on
purchase documents); a price typed in is kept."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from products.models import Product
from purchases.models import PurchaseOrder, PurchaseReturn
from sales.models import Invoice, SalesReturn
from tests import factories
from tests.foundation.test_amount_limits import header, inline

pytestmark = pytest.mark.django_db

SALE_PRICE, COST = Decimal("17.5000"), Decimal("8.3350")


@pytest.fixture
def product():
    return factories.ProductFactory(unit_price=SALE_PRICE, unit_cost=COST)


def add_document(client, model, rows: list[dict]):
    data = {**header(model), **inline("lines", rows)}
    if model in (Invoice, PurchaseOrder):
        data.update({**inline("tax_lines", []), **inline("payments", [])})
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    return client.post(url, data)


@pytest.mark.parametrize(
    "model, price",
    [(Invoice, SALE_PRICE), (SalesReturn, SALE_PRICE), (PurchaseOrder, COST),
     (PurchaseReturn, COST)],
)  # fmt: skip
def test_a_line_saved_without_a_price_takes_the_products_default_for_its_side(
    admin_client, product, model, price
):
    response = add_document(
        admin_client, model, [{"product": product.pk, "quantity": "2", "unit_price": ""}]
    )

    assert response.status_code == 302, response.content.decode()
    (line,) = model.objects.get().lines.all()
    assert (line.unit_price, line.amount) == (price, (2 * price).quantize(Decimal("0.01")))


def test_a_typed_price_is_kept(admin_client, product):
    add_document(
        admin_client, Invoice, [{"product": product.pk, "quantity": "1", "unit_price": "16.25"}]
    )

    assert Invoice.objects.get().lines.get().unit_price == Decimal("16.25")


def test_a_line_without_a_product_or_price_still_says_to_pick_the_product(admin_client):
    response = add_document(admin_client, Invoice, [{"quantity": "3", "unit_price": ""}])

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Invoice.objects.exists()


def test_the_default_prices_answer_both_sides_to_someone_who_may_view_the_product(
    client, django_user_model, product
):
    url = reverse("admin:products_product_default_prices", args=[product.pk])
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(url).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_product"))
    answer = client.get(url)

    assert answer.json() == {"sales": "17.5000", "purchases": "8.3350"}
    missing = reverse("admin:products_product_default_prices", args=[product.pk + 1])
    assert client.get(missing).status_code == 404


def test_the_product_page_names_the_prices_as_the_defaults_they_are(admin_client, product):
    page = admin_client.get(reverse("admin:products_product_change", args=[product.pk]))

    assert "Default sale price" in page.content.decode()
    assert "Fills the unit price of a new purchase order" in page.content.decode()
    assert Product._meta.get_field("unit_price").decimal_places == 4
