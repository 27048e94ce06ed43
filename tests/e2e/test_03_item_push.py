"""Journey 3: an item made here, with a class, is pushed to QuickBooks within seconds."""

import re

from playwright.sync_api import expect

from tests.e2e.pages import open_admin, pick, reload_until, save

NAME = "Rosin Badder 1g (E2E)"


def test_an_item_made_here_with_a_class_shows_as_synced_with_its_qbo_id(
    connected_page, stack, shots
):
    page = connected_page
    open_admin(page, "qboitem")
    page.click(".object-tools a.addlink")
    page.fill("#id_name", NAME)
    page.select_option("#id_type", label="Non-inventory")
    page.fill("#id_sku", "RB-1G")
    page.fill("#id_unit_price", "42.00")
    pick(page, "id_income_account", "Sales of Product Income (Income)")
    page.fill("#id_purchase_cost", "21.50")
    pick(page, "id_expense_account", "Cost of Goods Sold (Cost of Goods Sold)")
    page.select_option("#id_qbo_class", label="Wholesale:Northern California")
    shots("new-item-with-class")
    save(page, "_continue")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    reload_until(page, ".field-qbo_sync_details", "Synced")
    # A page drawn while the worker records the push can show the job done and no id yet.
    reload_until(page, ".field-qbo_id .readonly", re.compile(r"^\d+$"))
    qbo_id = page.locator(".field-qbo_id .readonly").inner_text()
    expect(page.locator(".field-qbo_sync_details")).to_contain_text(f"Item {qbo_id} in QuickBooks")
    shots("item-synced")

    item = stack.sandbox.company.get("Item", qbo_id)
    assert item["Name"] == NAME
    assert item["Sku"] == "RB-1G"
    wanted_class = stack.find("Class", Name="Northern California")[0]
    assert item["ClassRef"]["value"] == wanted_class["Id"]
