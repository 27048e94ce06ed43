"""Items inactivated in QBO or gone from it: unmapped from every product, then removed here."""

from datetime import timedelta

import pytest

from integrations.models import QboItem, SyncRun
from integrations.qbo.client import QboClient
from integrations.services.changes import changes_sync_run
from integrations.services.default_items import DefaultItemMissingError, DefaultItemNotReadyError
from integrations.services.items import item_for_bill_line, item_for_invoice_line
from products.models import Product
from tests.factories import ProductFactory, QboItemFactory
from tests.items.conftest import (
    api_calls,
    mirrored,
    qbo_item,
    qbo_item_update,
    watermark_age,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(synced):
    """Products on Blue Dream: on both sides, on the sales side only, on the purchase side only."""
    blue_dream, wedding_cake = mirrored("Blue Dream 3.5g"), mirrored("Wedding Cake 3.5g")
    return {
        "both": ProductFactory(
            name="Blue Dream eighth", sales_qbo_item=blue_dream, purchase_qbo_item=blue_dream
        ),
        "sales": ProductFactory(
            name="Blue Dream promo", sales_qbo_item=blue_dream, purchase_qbo_item=wedding_cake
        ),
        "purchase": ProductFactory(
            name="Wedding Cake eighth", sales_qbo_item=wedding_cake, purchase_qbo_item=blue_dream
        ),
    }


def _mappings(product: Product) -> tuple[str | None, str | None]:
    product.refresh_from_db()
    return (
        product.sales_qbo_item and product.sales_qbo_item.name,
        product.purchase_qbo_item and product.purchase_qbo_item.name,
    )


def test_an_item_inactivated_in_qbo_is_unmapped_on_both_sides_then_deleted(synced, products):
    qbo_item_update(synced, "Blue Dream 3.5g", Active=False)

    run = changes_sync_run()

    assert run.kind == SyncRun.Kind.CHANGES and run.status == SyncRun.Status.SUCCEEDED
    assert mirrored("Blue Dream 3.5g") is None
    assert _mappings(products["both"]) == (None, None)
    assert _mappings(products["sales"]) == (None, "Wedding Cake 3.5g")
    assert _mappings(products["purchase"]) == ("Wedding Cake 3.5g", None)
    assert run.removed == 1
    lost = {(n["product_id"], n["side"]) for n in run.details if n["event"] == "unmapped"}
    assert lost == {
        (products["both"].pk, "sales"),
        (products["both"].pk, "purchase"),
        (products["sales"].pk, "sales"),
        (products["purchase"].pk, "purchase"),
    }
    texts = " ".join(note["text"] for note in run.details)
    assert "“Blue Dream promo” lost its sales item “Blue Dream 3.5g”" in texts
    assert "remap those products" in run.message


def test_an_unmapped_product_falls_back_to_the_default_items(synced, products):
    qbo_item_update(synced, "Blue Dream 3.5g", Active=False)
    changes_sync_run()
    both = Product.objects.get(pk=products["both"].pk)

    assert item_for_invoice_line(both).name == "Distru Sales"
    assert item_for_bill_line(both).name == "Distru Purchases"
    sales = Product.objects.get(pk=products["sales"].pk)
    assert item_for_invoice_line(sales).name == "Distru Sales"
    assert item_for_bill_line(sales).name == "Wedding Cake 3.5g"
    assert item_for_invoice_line(sales).qbo_id == qbo_item(synced, "Distru Sales")["Id"]


def test_without_the_key_accounts_the_fallback_says_which_to_choose(qbo_connected):
    product = ProductFactory()

    with pytest.raises(DefaultItemMissingError, match="^Choose the Default Income account"):
        item_for_invoice_line(product)
    with pytest.raises(DefaultItemMissingError, match="^Choose the Default Expense account"):
        item_for_bill_line(product)


def test_with_the_key_accounts_chosen_the_fallback_waits_for_the_items_being_made(chart):
    product = ProductFactory()

    with pytest.raises(DefaultItemNotReadyError, match="^Waiting for the item “Distru Sales”"):
        item_for_invoice_line(product)
    with pytest.raises(DefaultItemNotReadyError, match="“Distru Purchases”"):
        item_for_bill_line(product)


def test_a_reactivated_item_comes_back_on_the_next_run(synced, products):
    qbo_item_update(synced, "Blue Dream 3.5g", Active=False)
    changes_sync_run()

    qbo_item_update(synced, "Blue Dream 3.5g", Active=True)
    run = changes_sync_run()

    back = mirrored("Blue Dream 3.5g")
    assert back is not None and back.active and run.created == 1
    assert back.qbo_id == qbo_item(synced, "Blue Dream 3.5g")["Id"]
    # The mappings stay cleared: the user remaps, as the log asked.
    assert _mappings(products["both"]) == (None, None)


def test_an_item_turned_into_an_inventory_item_leaves_the_mirror(synced):
    raw = qbo_item(synced, "Exit Bags (child resistant)")
    with synced.backend.lock:  # QBO lets a user convert a non-inventory item to Inventory
        stored = synced.company.objects["Item"][raw["Id"]]
        stored["Type"] = "Inventory"
        stored["MetaData"]["LastUpdatedTime"] = synced.backend.time()
        stored["SyncToken"] = "9"

    changes_sync_run()

    assert mirrored("Exit Bags (child resistant)") is None


def test_the_full_reconcile_removes_items_gone_or_inactive_in_qbo(synced, products):
    ghost = QboItemFactory(name="Gone From QBO", qbo_id="99999", origin=QboItem.Origin.QBO)
    ghost_product = ProductFactory(name="Haunted", sales_qbo_item=ghost)
    qbo_item_update(synced, "Blue Dream 3.5g", Active=False)
    watermark_age(timedelta(days=40))  # long enough that CDC cannot tell

    run = changes_sync_run()

    assert run.kind == SyncRun.Kind.ITEMS_FULL
    assert mirrored("Gone From QBO") is None and mirrored("Blue Dream 3.5g") is None
    assert _mappings(ghost_product) == (None, None)
    assert _mappings(products["both"]) == (None, None)
    assert run.removed == 2
    assert {n["item"] for n in run.details if n["event"] == "unmapped"} == {
        "Gone From QBO",
        "Blue Dream 3.5g",
    }
    assert mirrored("Wedding Cake 3.5g") is not None


def test_an_item_made_here_and_not_yet_pushed_survives_a_reconcile(synced):
    waiting = QboItemFactory(name="Made Here", qbo_id="", origin=QboItem.Origin.LOCAL)
    mapped = ProductFactory(sales_qbo_item=waiting)

    changes_sync_run(full=True)

    assert QboItem.objects.filter(pk=waiting.pk).exists()
    assert _mappings(mapped) == ("Made Here", None)


def test_the_full_reconcile_asks_qbo_by_id_before_removing_an_unseen_item(synced, monkeypatch):
    """Offset pages shift when QBO changes mid-import; an item they missed is not removed."""
    real_query = QboClient.query

    def shifted_pages(self, statement):
        rows = real_query(self, statement)
        if "STARTPOSITION" in statement and "Id IN" not in statement:
            rows = [raw for raw in rows if raw["Name"] != "Wedding Cake 3.5g"]
        return rows

    monkeypatch.setattr(QboClient, "query", shifted_pages)
    mapped = ProductFactory(sales_qbo_item=mirrored("Wedding Cake 3.5g"))

    run = changes_sync_run(full=True)

    assert mirrored("Wedding Cake 3.5g") is not None
    assert _mappings(mapped) == ("Wedding Cake 3.5g", None)
    assert run.removed == 0
    assert sum("Id IN" in call for call in api_calls(synced)) == 1
