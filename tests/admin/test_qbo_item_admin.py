"""The QBO item admin: names QBO accepts, no duplicate names, the class last, mapped products."""

import pytest
from django.urls import reverse

from integrations.models import QboItem
from tests import factories

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:integrations_qboitem_add")


def _change_url(item):
    return reverse("admin:integrations_qboitem_change", args=[item.pk])


def _form_data(**overrides):
    data = {
        "name": "Pre-rolls 1g",
        "type": QboItem.Type.NON_INVENTORY,
        "sku": "",
        "description": "",
        "active": "on",
        "unit_price": "",
        "income_account": "",
        "purchase_cost": "",
        "expense_account": "",
        "qbo_class": "",
    }
    return data | overrides


def test_adding_an_item_with_a_valid_name_creates_a_local_item(admin_client):
    response = admin_client.post(ADD_URL, _form_data(name="Pre-rolls 1g"))

    assert response.status_code == 302
    item = QboItem.objects.get(name="Pre-rolls 1g")
    assert (item.origin, item.qbo_id) == (QboItem.Origin.LOCAL, "")


def test_a_name_with_a_colon_is_refused_with_the_reason(admin_client):
    response = admin_client.post(ADD_URL, _form_data(name="Flower:Indica"))

    assert response.status_code == 200
    assert "Remove the “:” from the name: QuickBooks reads a colon as the separator" in (
        response.content.decode()
    )
    assert not QboItem.objects.exists()


def test_a_name_over_100_characters_is_refused_with_the_limit(admin_client):
    response = admin_client.post(ADD_URL, _form_data(name="x" * 101))

    assert response.status_code == 200
    assert (
        "QuickBooks allows at most 100 characters in an item name; this one has 101."
        in response.content.decode()
    )
    assert not QboItem.objects.exists()


def test_a_name_taken_regardless_of_case_is_refused_with_a_link_to_the_existing_item(
    admin_client,
):
    existing = factories.QboItemFactory(name="Distru Sales")

    response = admin_client.post(ADD_URL, _form_data(name="distru SALES"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "QuickBooks already has an item named “Distru Sales”" in html
    assert f'<a href="{_change_url(existing)}">Use the existing item</a>' in html
    assert QboItem.objects.count() == 1


def test_an_item_may_change_the_case_of_its_own_name(admin_client):
    item = factories.QboItemFactory(name="blue dream 3.5g")

    response = admin_client.post(_change_url(item), _form_data(name="Blue Dream 3.5g"))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "Blue Dream 3.5g"


def test_the_class_select_is_the_last_field_and_offers_only_active_classes(admin_client):
    active = factories.QboClassFactory(name="East")
    inactive = factories.QboClassFactory(name="West", active=False)

    response = admin_client.get(ADD_URL)

    html = response.content.decode()
    fields = [
        name for _, options in response.context["adminform"].fieldsets for name in options["fields"]
    ]
    assert fields[-1] == "qbo_class"
    assert html.index('name="qbo_class"') > html.index('name="expense_account"')
    offered = response.context["adminform"].form.fields["qbo_class"].queryset
    assert list(offered) == [active]
    assert inactive not in offered


def test_an_item_keeps_its_class_after_the_class_is_inactivated(admin_client):
    retired = factories.QboClassFactory(name="Retired", active=False)
    item = factories.QboItemFactory(qbo_class=retired)

    response = admin_client.post(
        _change_url(item), _form_data(name=item.name, qbo_class=retired.pk)
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.qbo_class == retired


def test_the_change_page_lists_the_products_mapped_on_each_side_with_the_advice(admin_client):
    item = factories.QboItemFactory()
    sold = factories.ProductFactory(name="Sour Diesel 3.5g", sales_qbo_item=item)
    bought = factories.ProductFactory(name="Gelato Cart 1g", purchase_qbo_item=item)

    html = admin_client.get(_change_url(item)).content.decode()

    product_url = reverse("admin:products_product_change", args=[sold.pk])
    assert f'Sales item of: <a href="{product_url}">{sold}</a>' in html
    product_url = reverse("admin:products_product_change", args=[bought.pk])
    assert f'Purchase item of: <a href="{product_url}">{bought}</a>' in html
    assert "Check these products before you inactivate this item in QuickBooks" in html


def test_past_twenty_products_the_change_page_links_to_all_of_them(admin_client):
    item = factories.QboItemFactory()
    factories.ProductFactory.create_batch(25, sales_qbo_item=item)

    html = admin_client.get(_change_url(item)).content.decode()

    all_url = f"{reverse('admin:products_product_changelist')}?sales_qbo_item__id__exact={item.pk}"
    assert f'and <a href="{all_url}">5 more</a>' in html
    listed = admin_client.get(all_url)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 25


def test_the_change_page_of_an_unmapped_item_says_so(admin_client):
    item = factories.QboItemFactory()

    html = admin_client.get(_change_url(item)).content.decode()

    assert "No product is mapped to this item." in html
    assert "Check these products" not in html


def _account(name, account_type, **extra):
    return factories.QboAccountFactory(name=name, account_type=account_type, **extra)


def test_each_account_select_offers_only_the_active_accounts_of_the_types_qbo_takes(admin_client):
    income = _account("Sales", "Income")
    other_income = _account("Fees", "Other Income")
    cogs = _account("COGS", "Cost of Goods Sold")
    expense = _account("Supplies", "Expense")
    other_expense = _account("Penalties", "Other Expense")
    _account("Checking", "Bank")
    _account("Excise Tax Payable", "Other Current Liability")
    _account("Old Sales", "Income", active=False)

    form = admin_client.get(ADD_URL).context["adminform"].form

    assert set(form.fields["income_account"].queryset) == {income, other_income}
    assert set(form.fields["expense_account"].queryset) == {cogs, expense, other_expense}


def test_an_account_of_another_type_is_refused_with_the_types_qbo_takes(admin_client):
    bank = _account("Checking", "Bank")

    response = admin_client.post(ADD_URL, _form_data(income_account=bank.pk))

    assert response.status_code == 200
    assert (
        "Choose one of the accounts offered: QuickBooks takes an active Income or Other Income "
        "account here." in response.content.decode()
    )
    assert not QboItem.objects.exists()


def test_an_account_inactivated_in_qbo_since_must_be_replaced_before_saving(admin_client):
    retired = _account("Old COGS", "Cost of Goods Sold", active=False)
    item = factories.QboItemFactory(expense_account=retired, purchase_cost="2.00")

    response = admin_client.post(
        _change_url(item),
        _form_data(name=item.name, purchase_cost="3.00", expense_account=retired.pk),
    )

    assert response.status_code == 200
    assert "Choose an active account: “Old COGS” is inactive in QuickBooks" in (
        response.content.decode()
    )
    item.refresh_from_db()
    assert str(item.purchase_cost) == "2.00"


def test_an_imported_item_keeps_the_account_qbo_gave_it(admin_client):
    liability = _account("Deposits Held", "Other Current Liability")
    item = factories.QboItemFactory(income_account=liability)

    response = admin_client.post(
        _change_url(item), _form_data(name=item.name, sku="NEW", income_account=liability.pk)
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.sku, item.income_account) == ("NEW", liability)
