"""Every mapping change, one product at a time or in bulk, shows in that product's History."""

import pytest
from django.contrib.admin.models import LogEntry
from django.forms.models import model_to_dict
from django.urls import reverse

from products.models import Product
from tests import factories
from tests.admin.test_product_admin import _bulk_update

pytestmark = pytest.mark.django_db


def history(client, product) -> str:
    url = reverse("admin:products_product_history", args=[product.pk])
    return client.get(url).content.decode()


def messages_of(product) -> list[str]:
    return [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(object_id=str(product.pk)).order_by("pk")
    ]


def test_a_mapping_changed_on_the_product_form_names_both_items(admin_client):
    old = factories.QboItemFactory(name="Flower Sales")
    new = factories.QboItemFactory(name="Edibles")
    product = factories.ProductFactory(sales_qbo_item=old)
    form = {
        key: "" if value is None else value
        for key, value in model_to_dict(product).items()
        if key not in ("id",)
    }
    response = admin_client.post(
        reverse("admin:products_product_change", args=[product.pk]),
        {**form, "sales_qbo_item": new.pk, "purchase_qbo_item": new.pk},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors

    assert messages_of(product) == [
        "Changed Sales item from “Flower Sales” to “Edibles” and Purchase item from none "
        "(uses Distru Purchases) to “Edibles”."
    ]
    assert "Sales item from “Flower Sales” to “Edibles”" in history(admin_client, product)


def test_a_bulk_update_writes_one_history_line_per_product_it_changes(admin_client):
    item = factories.QboItemFactory(name="Flower Sales")
    moved = factories.ProductFactory(sales_qbo_item=factories.QboItemFactory(name="Old Flower"))
    unmapped = factories.ProductFactory()
    already = factories.ProductFactory(sales_qbo_item=item)

    response = _bulk_update(
        admin_client, [moved, unmapped, already], confirm={"sales_qbo_item": item.pk}
    )

    assert response.status_code == 302
    assert messages_of(moved) == [
        "Changed Sales item from “Old Flower” to “Flower Sales” (bulk update)."
    ]
    assert messages_of(unmapped) == [
        "Changed Sales item from none (uses Distru Sales) to “Flower Sales” (bulk update)."
    ]
    assert messages_of(already) == []
    entry = LogEntry.objects.get(object_id=str(moved.pk))
    assert entry.user.username == "admin" and entry.object_repr == str(moved)
    assert "(bulk update)" in history(admin_client, unmapped)
    assert Product.objects.filter(sales_qbo_item=item).count() == 3
