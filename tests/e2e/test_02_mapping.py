"""Journey 2: map a product to its QuickBooks items, then bulk update three products."""

import re

from playwright.sync_api import expect

from tests.e2e.pages import open_admin, open_row, pick, save, search

PRODUCT = "Emerald Peak Blue Dream Flower 3.5g"
BULK_ITEM = "OG Kush 1g Pre-Roll"


def row(page, name: str):
    """A changelist row, by the name it links to."""
    return page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def test_map_one_product_on_its_form_and_three_in_bulk(connected_page, shots):
    page = connected_page
    open_admin(page, "product")
    search(page, PRODUCT)
    open_row(page, PRODUCT)
    quickbooks = page.locator("fieldset").filter(has_text="A product without a Sales item")
    expect(quickbooks).to_contain_text("Distru Sales")
    pick(page, "id_sales_qbo_item", "Blue Dream 3.5g")
    pick(page, "id_purchase_qbo_item", "Blue Dream 3.5g")
    quickbooks.scroll_into_view_if_needed()
    shots("product-quickbooks-section")
    save(page)
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    search(page, PRODUCT)
    expect(row(page, PRODUCT).locator("td.field-sales_qbo_item")).to_have_text("Blue Dream 3.5g")
    expect(row(page, PRODUCT).locator("td.field-purchase_qbo_item")).to_have_text("Blue Dream 3.5g")

    search(page, "Pre-Roll")
    rows = page.locator("#result_list tbody tr")
    chosen = []
    for n in range(3):
        rows.nth(n).locator("input.action-select").check()
        chosen.append(rows.nth(n).locator("th a").inner_text())
    page.select_option("select[name=action]", label="Bulk update QuickBooks items")
    shots("products-selected-for-bulk-update", full_page=False)
    page.click("button[name=index]")
    expect(page.locator("#content h1")).to_have_text("Bulk update QuickBooks items")
    expect(page.locator("#content")).to_contain_text("Map the 3 selected products")
    pick(page, "id_sales_qbo_item", BULK_ITEM)
    pick(page, "id_purchase_qbo_item", BULK_ITEM)
    shots("bulk-update-confirmation")
    page.click("input[value='Update 3 products']")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Mapped 3 products to Sales item “{BULK_ITEM}” and Purchase item “{BULK_ITEM}”."
    )
    for name in chosen:
        expect(row(page, name).locator("td.field-sales_qbo_item")).to_have_text(BULK_ITEM)
        expect(row(page, name).locator("td.field-purchase_qbo_item")).to_have_text(BULK_ITEM)
    # The rest of the search still falls back to the defaults.
    expect(rows.nth(3).locator("td.field-sales_qbo_item")).to_have_text(
        re.compile(r"Distru Sales \(default\)")
    )
    expect(rows.nth(0).locator("td.field-sku")).to_have_css("white-space", "nowrap")
    shots("products-mapped")

    # Set back to none on the purchase side: the product uses the default item there again.
    rows.nth(0).locator("input.action-select").check()
    page.select_option("select[name=action]", label="Bulk update QuickBooks items")
    page.click("button[name=index]")
    page.get_by_label("None: use the default, Distru Purchases").check()
    page.click("input[value='Update 1 product']")
    expect(page.locator(".messagelist")).to_contain_text(
        "Cleared the Purchase item of 1 product: it uses Distru Purchases."
    )
    expect(row(page, chosen[0]).locator("td.field-purchase_qbo_item")).to_have_text(
        "Distru Purchases (default)"
    )
    expect(row(page, chosen[0]).locator("td.field-sales_qbo_item")).to_have_text(BULK_ITEM)
