"""The product admin's QuickBooks mapping: the form, the columns, the filter, the bulk update."""

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.admin.widgets import AutocompleteSelect
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


PICKER_URL = reverse("admin:integrations_qboitem_picker")


def test_the_product_form_has_a_quickbooks_section_with_two_item_pickers(admin_client):
    response = admin_client.get(reverse("admin:products_product_add"))

    html = response.content.decode()
    assert 'class="fieldset-heading">QuickBooks</h2>' in html
    for field in ["sales_qbo_item", "purchase_qbo_item"]:
        widget = response.context["adminform"].form.fields[field].widget.widget
        assert isinstance(widget, AutocompleteSelect)
        assert widget.get_url() == PICKER_URL
    assert "uses Distru Sales on invoice lines" in html


def _picked(client, field, term=""):
    answer = client.get(
        PICKER_URL,
        {"app_label": "products", "model_name": "product", "field_name": field, "term": term},
    )
    assert answer.status_code == 200
    return [result["text"] for result in answer.json()["results"]]


@pytest.fixture
def catalog():
    """Items of every kind a picker meets: ordinary ones, the two defaults, a tax's item and
    an inactive one."""
    income = factories.QboAccountFactory(name="Sales of Product Income", account_type="Income")
    cogs = factories.QboAccountFactory(name="Cost of Goods Sold", account_type="Cost of Goods Sold")
    accounts = {"income_account": income, "expense_account": cogs}
    made = {
        "flower": factories.QboItemFactory(name="Flower", **accounts),
        "service": factories.QboItemFactory(name="Delivery", type="Service", income_account=income),
        "sales_default": factories.QboItemFactory(name="Distru Sales", **accounts),
        "purchase_default": factories.QboItemFactory(name="Distru Purchases", **accounts),
        "tax": factories.QboItemFactory(name="Excise Tax", type="Service", **accounts),
        "inactive": factories.QboItemFactory(name="Flower Old", active=False, **accounts),
    }
    factories.TaxFactory(name="Excise Tax", qbo_item=made["tax"])
    return made


def test_the_sales_picker_shows_type_and_income_account_and_leaves_out_what_sales_may_not_use(
    admin_client, catalog
):
    assert _picked(admin_client, "sales_qbo_item") == [
        "Delivery (Service, Sales of Product Income)",
        "Distru Sales (Non-inventory, Sales of Product Income)",
        "Flower (Non-inventory, Sales of Product Income)",
    ]
    assert _picked(admin_client, "sales_qbo_item", "Flow") == [
        "Flower (Non-inventory, Sales of Product Income)"
    ]


def test_the_purchase_picker_shows_the_expense_account_or_the_key_account_it_falls_back_to(
    admin_client, catalog
):
    assert _picked(admin_client, "purchase_qbo_item") == [
        "Delivery (Service, Default Expense account)",
        "Distru Purchases (Non-inventory, Cost of Goods Sold)",
        "Flower (Non-inventory, Cost of Goods Sold)",
    ]


def test_the_picker_answers_only_for_the_product_item_fields(admin_client):
    answer = admin_client.get(
        PICKER_URL, {"app_label": "sales", "model_name": "tax", "field_name": "qbo_account"}
    )

    assert answer.status_code == 403


def test_the_product_form_shows_the_chosen_item_with_its_type_and_account(admin_client, catalog):
    product = factories.ProductFactory(sales_qbo_item=catalog["flower"])

    html = admin_client.get(reverse("admin:products_product_change", args=[product.pk]))

    assert "Flower (Non-inventory, Sales of Product Income)</option>" in html.content.decode()


@pytest.mark.parametrize(
    ("field", "item", "error"),
    [
        (
            "sales_qbo_item",
            "tax",
            "Pick another item: “Excise Tax” carries the tax “Excise Tax” on invoices, and a "
            "product on it would be booked as that tax.",
        ),
        (
            "purchase_qbo_item",
            "tax",
            "Pick another item: “Excise Tax” carries the tax “Excise Tax” on invoices",
        ),
        (
            "sales_qbo_item",
            "purchase_default",
            "Pick another item, or leave this empty to use Distru Sales: “Distru Purchases” is "
            "the default item of bill lines.",
        ),
        (
            "purchase_qbo_item",
            "sales_default",
            "Pick another item, or leave this empty to use Distru Purchases: “Distru Sales” is "
            "the default item of invoice lines.",
        ),
        (
            "sales_qbo_item",
            "inactive",
            "Pick another item: “Flower Old” is no longer an active QuickBooks item.",
        ),
    ],
)
def test_the_product_form_refuses_an_item_the_side_may_not_use_and_saves_nothing(
    admin_client, catalog, field, item, error
):
    product = factories.ProductFactory()
    url = reverse("admin:products_product_change", args=[product.pk])

    response = admin_client.post(url, factories.product_form(product, **{field: catalog[item].pk}))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert _mappings(product) == [(None, None)]


def test_the_product_form_takes_an_ordinary_item_and_the_own_side_default(admin_client, catalog):
    product = factories.ProductFactory()
    url = reverse("admin:products_product_change", args=[product.pk])

    response = admin_client.post(
        url,
        factories.product_form(
            product,
            sales_qbo_item=catalog["sales_default"].pk,
            purchase_qbo_item=catalog["flower"].pk,
        ),
    )

    assert response.status_code == 302
    assert _mappings(product) == [(catalog["sales_default"].pk, catalog["flower"].pk)]


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
    assert (
        "Pick a Sales item or a Purchase item, or tick None on a side to clear it."
        in response.content.decode()
    )
    assert _mappings(*selected) == [(None, None)] * 2


def test_an_inactive_item_is_refused(admin_client):
    inactive = factories.QboItemFactory(name="Flower Old", active=False)
    selected = factories.ProductFactory.create_batch(1)

    response = _bulk_update(admin_client, selected, confirm={"purchase_qbo_item": inactive.pk})

    assert (
        "Pick another item: “Flower Old” is no longer an active QuickBooks item."
        in response.content.decode()
    )
    assert _mappings(*selected) == [(None, None)]


@pytest.mark.parametrize(
    ("field", "item", "error"),
    [
        ("sales_qbo_item", "tax", "“Excise Tax” carries the tax “Excise Tax” on invoices"),
        ("purchase_qbo_item", "tax", "“Excise Tax” carries the tax “Excise Tax” on invoices"),
        ("sales_qbo_item", "purchase_default", "“Distru Purchases” is the default item of bill"),
        ("purchase_qbo_item", "sales_default", "“Distru Sales” is the default item of invoice"),
    ],
)
def test_bulk_update_refuses_an_item_the_side_may_not_use_and_changes_nothing(
    admin_client, catalog, field, item, error
):
    selected = factories.ProductFactory.create_batch(2)

    response = _bulk_update(admin_client, selected, confirm={field: catalog[item].pk})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert _mappings(*selected) == [(None, None)] * 2


def test_the_confirmation_page_offers_none_on_each_side(admin_client):
    html = _bulk_update(admin_client, factories.ProductFactory.create_batch(1)).content.decode()

    assert 'name="clear_sales_qbo_item"' in html
    assert "None: use the default, Distru Sales" in html
    assert 'name="clear_purchase_qbo_item"' in html
    assert "None: use the default, Distru Purchases" in html


def test_none_clears_a_side_so_the_products_use_the_default_and_their_history_says_so(
    admin_client, items
):
    sales, purchase = items
    selected = factories.ProductFactory.create_batch(
        2, sales_qbo_item=sales, purchase_qbo_item=purchase
    )

    response = _bulk_update(admin_client, selected, confirm={"clear_purchase_qbo_item": "on"})

    assert response.status_code == 302
    assert _mappings(*selected) == [(sales.pk, None)] * 2
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Cleared the Purchase item of 2 products: they use Distru Purchases."]
    history = LogEntry.objects.get(object_id=str(selected[0].pk))
    assert history.get_change_message() == (
        "Changed Purchase item from “Flower COGS” to none (uses Distru Purchases) (bulk update)."
    )


def test_one_side_mapped_and_the_other_cleared_in_one_step(admin_client, items):
    sales, purchase = items
    selected = factories.ProductFactory.create_batch(2, purchase_qbo_item=purchase)

    response = _bulk_update(
        admin_client,
        selected,
        confirm={"sales_qbo_item": sales.pk, "clear_purchase_qbo_item": "on"},
    )

    assert _mappings(*selected) == [(sales.pk, None)] * 2
    assert [str(m) for m in response.wsgi_request._messages] == [
        "Mapped 2 products to Sales item “Flower Sales”. Cleared the Purchase item of 2 "
        "products: they use Distru Purchases."
    ]


def test_an_item_and_none_on_one_side_is_refused(admin_client, items):
    sales, _ = items
    selected = factories.ProductFactory.create_batch(1)

    response = _bulk_update(
        admin_client, selected, confirm={"sales_qbo_item": sales.pk, "clear_sales_qbo_item": "on"}
    )

    assert response.status_code == 200
    assert "Pick an item or tick None, not both." in response.content.decode()
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
