"""Journey 13: the guide's steps 8 and 9 in the sandbox company's own screens, all by clicking.

An item is made inactive in "QuickBooks" (the sandbox's screens, opened from the item's *Open
in QuickBooks* link), *Sync now* removes it here and its product falls back to the default
items; made active again there, the next *Sync now* brings it back (README, "The guide").
"""

import re

from playwright.sync_api import expect

from tests.e2e.pages import map_product, open_admin, open_row, quickbooks_status, reload_until
from tests.e2e.pages import search as search_admin

PRODUCT = "Sunset Farms OG Kush Pre-Roll 1g"
ITEM = "OG Kush 1g Pre-Roll"


def sync_now(page) -> None:
    """Settings → Integrations → QuickBooks Online, then *Sync now*."""
    assert quickbooks_status(page) == "Connected"
    page.click("input[value='Sync now']")
    expect(page.locator(".messagelist")).to_contain_text("Sync started")


def test_an_item_made_inactive_and_active_again_in_the_sandboxs_screens(
    connected_page, stack, shots
):
    page = connected_page
    map_product(page, PRODUCT, ITEM)

    # Step 8: the item's page here links to it in QuickBooks, which is the sandbox's screen.
    open_admin(page, "qboitem")
    search_admin(page, ITEM)
    open_row(page, ITEM)
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile(r"^Item \d+ in QuickBooks$")).click()
    quickbooks = opened.value
    quickbooks.wait_for_load_state()
    expect(quickbooks.locator("h1")).to_have_text(f"Item: {ITEM}")
    shots("item-in-the-sandboxs-screens", page=quickbooks)

    quickbooks.get_by_role("button", name="Make inactive").click()
    expect(quickbooks.locator(".notice")).to_have_text("Item made inactive.")
    expect(quickbooks.locator("h1")).to_have_text(f"Item: {ITEM} (deleted)")
    shots("item-made-inactive-there", page=quickbooks)
    item_id = re.search(r"itemId=(\d+)", quickbooks.url).group(1)
    assert stack.sandbox.company.get("Item", item_id)["Active"] is False

    sync_now(page)
    reload_until(page, ".sync-log", f"“{PRODUCT}” lost its sales item “{ITEM}”")
    expect(page.locator(".sync-log").first).to_contain_text(
        f"“{ITEM}” is no longer active in QuickBooks."
    )
    open_admin(page, "product")
    search_admin(page, PRODUCT)
    row = page.locator("#result_list tbody tr").first
    expect(row.locator("td.field-sales_qbo_item")).to_have_text("Distru Sales (default)")
    expect(row.locator("td.field-purchase_qbo_item")).to_have_text("Distru Purchases (default)")
    shots("product-falls-back-to-the-defaults", full_page=False)

    # Step 9 (the FAQ): made active again in QuickBooks, the item is back after a sync.
    quickbooks.locator("nav").get_by_role("link", name="Products and services").click()
    quickbooks.get_by_role("link", name=f"{ITEM} (deleted)").click()
    quickbooks.get_by_role("button", name="Make active").click()
    expect(quickbooks.locator(".notice")).to_have_text("Item made active.")
    expect(quickbooks.locator("h1")).to_have_text(f"Item: {ITEM}")
    shots("item-made-active-again-there", page=quickbooks)
    assert stack.sandbox.company.get("Item", item_id)["Active"] is True

    sync_now(page)
    open_admin(page, "qboitem")
    search_admin(page, ITEM)
    reload_until(page, "#result_list", ITEM)
    shots("item-back-after-sync-now", full_page=False)
    # Mappings are not restored: the product stays on the defaults until it is mapped again.
    open_admin(page, "product")
    search_admin(page, PRODUCT)
    row = page.locator("#result_list tbody tr").first
    expect(row.locator("td.field-sales_qbo_item")).to_have_text("Distru Sales (default)")

    # Step 5 names QuickBooks' class tracking setting: the sandbox's settings show it too.
    # Journey 10 may have turned it off on this session's stack: the page says what QBO holds.
    accounting = stack.qbo("GET", "preferences")["Preferences"]["AccountingInfoPrefs"]
    shown = (
        "On, one to each row in transaction" if accounting.get("ClassTrackingPerTxnLine")
        else "On, one to entire transaction" if accounting.get("ClassTrackingPerTxn")
        else "Off"
    )  # fmt: skip
    quickbooks.locator("nav").get_by_role("link", name="Settings").click()
    expect(quickbooks.locator("#class-tracking")).to_have_text(shown)
    shots("class-tracking-in-the-sandboxs-settings", page=quickbooks)
    quickbooks.close()
