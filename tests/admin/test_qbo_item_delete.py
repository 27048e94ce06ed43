"""Deleting a QBO item that products are mapped to is refused, singly and in bulk."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from integrations.models import QboConnection, QboItem
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:integrations_qboitem_changelist")


def _delete_url(item):
    return reverse("admin:integrations_qboitem_delete", args=[item.pk])


def _bulk_delete(client, items, *, confirmed):
    data = {
        "action": "delete_selected",
        helpers.ACTION_CHECKBOX_NAME: [item.pk for item in items],
    }
    if confirmed:
        data["post"] = "yes"
    return client.post(CHANGELIST_URL, data)


@pytest.fixture
def mapped_item():
    item = factories.QboItemFactory(name="Flower Sales")
    factories.ProductFactory(name="Sour Diesel 3.5g", sales_qbo_item=item)
    factories.ProductFactory(name="Gelato Cart 1g", purchase_qbo_item=item)
    return item


def _assert_lists_the_products(html):
    assert "products are mapped to" in html
    assert "Sales item of: <a href=" in html and "Sour Diesel 3.5g" in html
    assert "Purchase item of: <a href=" in html and "Gelato Cart 1g" in html


def test_the_delete_page_of_a_mapped_item_refuses_and_lists_its_products(admin_client, mapped_item):
    html = admin_client.get(_delete_url(mapped_item)).content.decode()

    assert "“Flower Sales” cannot be deleted: products are mapped to it." in html
    _assert_lists_the_products(html)
    assert 'name="post"' not in html


def test_confirming_the_delete_of_a_mapped_item_keeps_it_and_its_mappings(
    admin_client, mapped_item
):
    response = admin_client.post(_delete_url(mapped_item), {"post": "yes"})

    _assert_lists_the_products(response.content.decode())
    assert QboItem.objects.filter(pk=mapped_item.pk).exists()
    assert mapped_item.sales_products.count() == mapped_item.purchase_products.count() == 1


def test_bulk_delete_with_a_mapped_item_refuses_and_names_its_products(admin_client, mapped_item):
    unmapped = factories.QboItemFactory()

    html = _bulk_delete(admin_client, [mapped_item, unmapped], confirmed=False).content.decode()

    assert "None of the selected QuickBooks items can be deleted" in html
    assert "<li>Flower Sales" in html
    _assert_lists_the_products(html)


def test_confirming_a_bulk_delete_with_a_mapped_item_deletes_nothing(admin_client, mapped_item):
    unmapped = factories.QboItemFactory()

    response = _bulk_delete(admin_client, [mapped_item, unmapped], confirmed=True)

    _assert_lists_the_products(response.content.decode())
    assert QboItem.objects.filter(pk__in=[mapped_item.pk, unmapped.pk]).count() == 2


def test_an_unmapped_item_is_deleted_singly(admin_client):
    item = factories.QboItemFactory()

    response = admin_client.post(_delete_url(item), {"post": "yes"})

    assert response.status_code == 302
    assert not QboItem.objects.filter(pk=item.pk).exists()


def test_unmapped_items_are_deleted_in_bulk(admin_client):
    items = factories.QboItemFactory.create_batch(2)

    response = _bulk_delete(admin_client, items, confirmed=True)

    assert response.status_code == 302
    assert not QboItem.objects.exists()


INACTIVATED = "It will be inactivated in QuickBooks (QuickBooks never deletes an item)."


def test_the_delete_page_of_an_item_in_qbo_says_it_is_inactivated_there_and_it_is(
    admin_client, synced, django_capture_on_commit_callbacks
):
    item = QboItem.objects.get(name="Distribution Fee")

    html = admin_client.get(_delete_url(item)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_delete_url(item), {"post": "yes"})

    assert f'<p class="qbo-delete-outcome">{INACTIVATED}</p>' in html
    assert synced.api("GET", f"item/{item.qbo_id}").json()["Item"]["Active"] is False


def test_the_delete_page_of_an_item_never_pushed_says_nothing_is_sent_and_nothing_is(
    admin_client, synced, django_capture_on_commit_callbacks
):
    item = factories.QboItemFactory(name="Made here", qbo_id="")

    html = admin_client.get(_delete_url(item)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_delete_url(item), {"post": "yes"})

    assert "It never reached QuickBooks, so nothing is sent there: it is removed here only." in html
    assert synced.api_requests() == []


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (
            QboConnection.Status.EXPIRED,
            "It will be inactivated in QuickBooks (QuickBooks never deletes an item) once you "
            "reconnect to QuickBooks.",
        ),
        (
            QboConnection.Status.DISCONNECTED,
            "QuickBooks is not connected, so nothing is sent: the item stays active in "
            "QuickBooks, and connecting again imports it back here.",
        ),
    ],
)
def test_the_delete_page_says_what_a_connection_that_is_not_live_does(admin_client, status, said):
    factories.QboConnectionFactory(status=status)
    item = factories.QboItemFactory()

    html = admin_client.get(_delete_url(item)).content.decode()

    assert said in html
    assert INACTIVATED not in html


def test_the_bulk_delete_page_says_per_item_what_happens_in_quickbooks(admin_client):
    factories.QboConnectionFactory()
    pushed = factories.QboItemFactory(name="Pushed")
    local = factories.QboItemFactory(name="Local", qbo_id="")

    html = _bulk_delete(admin_client, [pushed, local], confirmed=False).content.decode()

    assert f"<li>“Pushed”: {INACTIVATED}</li>" in html
    assert "<li>“Local”: It never reached QuickBooks" in html
