"""Journey 5: an item inactivated in QuickBooks goes on *Sync now*, and its product falls back."""

from playwright.sync_api import expect

from tests.e2e.pages import map_product, open_admin, quickbooks_status, reload_until, search

PRODUCT = "Redwood Roots Wedding Cake Flower 3.5g"
ITEM = "Wedding Cake 3.5g"


def test_an_item_inactivated_in_quickbooks_is_removed_and_its_product_falls_back(
    connected_page, stack, shots
):
    page = connected_page
    map_product(page, PRODUCT, ITEM)

    # In QuickBooks, someone makes the item inactive: a sparse update, as QBO's own screens do.
    item = stack.find("Item", Name=ITEM)[0]
    answer = stack.qbo(
        "POST",
        "item",
        json={"Id": item["Id"], "SyncToken": item["SyncToken"], "sparse": True, "Active": False},
    )
    assert answer["Item"]["Active"] is False

    assert quickbooks_status(page) == "Connected"
    page.click("input[value='Sync now']")
    expect(page.locator(".messagelist")).to_contain_text("Sync started")
    unmapped = f"“{PRODUCT}” lost its sales item “{ITEM}”"
    reload_until(page, ".sync-log", unmapped)
    log = page.locator(".sync-log").first
    expect(log).to_contain_text(f"“{PRODUCT}” lost its purchase item “{ITEM}”")
    expect(log).to_contain_text(f"“{ITEM}” is no longer active in QuickBooks.")
    shots("sync-log-names-the-item")

    open_admin(page, "qboitem")
    search(page, ITEM)
    expect(page.locator("#changelist-form")).to_contain_text("0 QuickBooks items")
    open_admin(page, "product")
    search(page, PRODUCT)
    row = page.locator("#result_list tbody tr").first
    expect(row.locator("td.field-sales_qbo_item")).to_have_text("Distru Sales (default)")
    expect(row.locator("td.field-purchase_qbo_item")).to_have_text("Distru Purchases (default)")
    shots("product-falls-back-to-the-defaults", full_page=False)
