"""The product admin's QuickBooks mapping: the form, the columns, the filter, the bulk update."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.urls import reverse

from products.models import Product
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:products_product_changelist")


@pytest.fixture
def items():
    return factories.QboItemFactory(name="Flower Sales"), factories.QboItemFactory(
        name="Flower COGS"
    )


def _bulk_update(client, products, *, url=CHANGELIST_URL, confirm=None, select_across=False):
    """POST the Bulk update action: without `confirm`, the first step; with it, the second."""
    data = {
        "action": "bulk_update_qbo_items",
        helpers.ACTION_CHECKBOX_NAME: [product.pk for product in products],
        "select_across": "1" if select_across else "0",
    }
    if confirm is None:
        data["index"] = "0"
    else:
        data |= {"post": "yes", **confirm}
    return client.post(url, data)


def _mappings(*products):
    return [
        (p.sales_qbo_item_id, p.purchase_qbo_item_id)
        for p in Product.objects.filter(pk__in=[p.pk for p in products]).order_by("pk")
    ]


def test_the_product_form_has_a_quickbooks_section_with_two_autocomplete_selects(admin_client):
    response = admin_client.get(reverse("admin:products_product_add"))

    html = response.content.decode()
    assert 'class="fieldset-heading">QuickBooks</h2>' in html
    for field in ["sales_qbo_item", "purchase_qbo_item"]:
        widget = response.context["adminform"].form.fields[field].widget
        assert type(widget.widget).__name__ == "AutocompleteSelect"
    assert "uses Distru Sales on invoice lines" in html


def test_the_changelist_shows_each_mapping_or_the_default_it_falls_back_to(admin_client, items):
    sales, purchase = items
    factories.ProductFactory(sales_qbo_item=sales)
    factories.ProductFactory(purchase_qbo_item=purchase)

    html = admin_client.get(CHANGELIST_URL).content.decode()

    assert '<td class="field-sales_qbo_item">Flower Sales</td>' in html
    assert '<td class="field-purchase_qbo_item">Flower COGS</td>' in html
    assert (
        '<td class="field-sales_qbo_item"><span class="quiet">Distru Sales (default)</span></td>'
        in html
    )
    assert (
        '<td class="field-purchase_qbo_item"><span class="quiet">Distru Purchases (default)</span>'
        in html
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mapped", {"both"}),
        ("sales_unmapped", {"purchase", "none"}),
        ("purchase_unmapped", {"sales", "none"}),
    ],
)
def test_the_mapping_filter_shows_mapped_or_unmapped_products(admin_client, items, value, expected):
    sales, purchase = items
    products = {
        "both": factories.ProductFactory(sales_qbo_item=sales, purchase_qbo_item=purchase),
        "sales": factories.ProductFactory(sales_qbo_item=sales),
        "purchase": factories.ProductFactory(purchase_qbo_item=purchase),
        "none": factories.ProductFactory(),
    }

    response = admin_client.get(CHANGELIST_URL, {"qbo_mapping": value})

    shown = {product.pk for product in response.context["cl"].result_list}
    assert shown == {products[key].pk for key in expected}


def test_bulk_update_first_shows_a_confirmation_page_and_changes_nothing(admin_client, items):
    products = factories.ProductFactory.create_batch(3)

    response = _bulk_update(admin_client, products[:2])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/products/product/bulk_update_qbo_items.html"
    html = response.content.decode()
    assert "Map the 2 selected products" in html
    for product in products[:2]:
        assert f'name="_selected_action" value="{product.pk}"' in html
    assert 'name="action" value="bulk_update_qbo_items"' in html
    assert 'name="post" value="yes"' in html
    assert _mappings(*products) == [(None, None)] * 3


def test_confirming_a_sales_item_maps_the_selected_products_only_on_the_sales_side(
    admin_client, items
):
    sales, purchase = items
    keep = factories.QboItemFactory()
    selected = factories.ProductFactory.create_batch(2, purchase_qbo_item=keep)
    other = factories.ProductFactory()

    response = _bulk_update(admin_client, selected, confirm={"sales_qbo_item": sales.pk})

    assert response.status_code == 302
    assert _mappings(*selected) == [(sales.pk, keep.pk)] * 2
    assert _mappings(other) == [(None, None)]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Mapped 2 products to Sales item “Flower Sales”."]


def test_confirming_both_items_maps_both_sides(admin_client, items):
    sales, purchase = items
    selected = factories.ProductFactory.create_batch(2)

    _bulk_update(
        admin_client,
        selected,
        confirm={"sales_qbo_item": sales.pk, "purchase_qbo_item": purchase.pk},
    )

    assert _mappings(*selected) == [(sales.pk, purchase.pk)] * 2


def test_select_all_with_a_filter_maps_every_filtered_product(admin_client, items):
    sales, _ = items
    unmapped = factories.ProductFactory.create_batch(3)
    already = factories.ProductFactory(sales_qbo_item=factories.QboItemFactory())

    response = _bulk_update(
        admin_client,
        unmapped[:1],
        url=f"{CHANGELIST_URL}?qbo_mapping=sales_unmapped",
        select_across=True,
        confirm={"sales_qbo_item": sales.pk},
    )

    assert response.status_code == 302
    assert _mappings(*unmapped) == [(sales.pk, None)] * 3
    assert _mappings(already) == [(already.sales_qbo_item_id, None)]


def test_confirming_with_no_item_asks_again_and_changes_nothing(admin_client):
    selected = factories.ProductFactory.create_batch(2)

    response = _bulk_update(admin_client, selected, confirm={})

    assert response.status_code == 200
    assert "Pick a Sales item, a Purchase item or both." in response.content.decode()
    assert _mappings(*selected) == [(None, None)] * 2


def test_an_inactive_item_is_refused(admin_client):
    inactive = factories.QboItemFactory(active=False)
    selected = factories.ProductFactory.create_batch(1)

    response = _bulk_update(admin_client, selected, confirm={"purchase_qbo_item": inactive.pk})

    assert "This item is no longer an active QBO item: pick another." in response.content.decode()
    assert _mappings(*selected) == [(None, None)]


def test_bulk_update_needs_the_change_permission(client, django_user_model, items):
    sales, _ = items
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(viewer)
    selected = factories.ProductFactory.create_batch(1)

    changelist = client.get(CHANGELIST_URL)
    _bulk_update(client, selected, confirm={"sales_qbo_item": sales.pk})

    assert "bulk_update_qbo_items" not in changelist.content.decode()
    assert _mappings(*selected) == [(None, None)]
