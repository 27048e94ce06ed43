"""Journey 1: connect QuickBooks Online from Settings → Integrations, as a person clicks it."""

import re

from playwright.sync_api import expect

from tests.e2e.pages import (
    choose_key_accounts,
    disconnect,
    grant_access,
    log_in,
    open_admin,
    reload_until,
)


def test_connect_choose_the_key_accounts_and_find_the_imported_items(page, stack, shots):
    page.goto("/admin/login/")
    shots("login")
    log_in(page)
    page.click("text=Settings → Integrations")
    card = page.locator(".settings-card").filter(has_text="QuickBooks Online")
    if card.locator(".status-pill").inner_text() == "Connected":  # another journey ran first
        card.locator("a.button").click()
        disconnect(page)
        page.click("text=Settings → Integrations")
    expect(card.locator(".status-pill")).to_have_text("Disconnected")
    shots("integrations-panel")

    card.locator("a.qb-icon-link").click()
    expect(page.locator("h2 .status-pill")).to_have_text("Disconnected")
    shots("quickbooks-disconnected")

    page.go_back()
    card.get_by_role("button", name="Connect to QuickBooks Online").click()
    expect(page).to_have_url(re.compile(re.escape(stack.sandbox.url("/connect/oauth2"))))
    shots("sandbox-consent")
    grant_access(page)
    expect(page.locator(".messagelist")).to_contain_text("Connected to QuickBooks")
    shots("key-accounts")

    choose_key_accounts(page)
    expect(page.locator("h2 .status-pill")).to_have_text("Connected")
    expect(page.locator(".settings-card").nth(1)).to_contain_text("Checking (Bank)")
    shots("quickbooks-connected")

    # The import runs in the worker; the defaults are made once the key accounts are saved.
    open_admin(page, "qboitem")
    reload_until(page, "#result_list", "Distru Sales")
    reload_until(page, "#result_list", "Distru Purchases")
    items = page.locator("#result_list tbody th")
    for imported in ["Blue Dream 3.5g", "Lab Testing Fee", "Excise Tax"]:
        expect(items.filter(has_text=re.compile(f"^{re.escape(imported)}$"))).to_have_count(1)
    # Never imported: an Inventory item, a Category and an inactive item.
    for skipped in ["Glass Jars 1/8oz", "Flower", "Old Label Pre-Roll"]:
        expect(items.filter(has_text=re.compile(f"^{re.escape(skipped)}$"))).to_have_count(0)
    shots("qbo-items-imported")

    defaults = stack.find("Item", Name=["Distru Sales", "Distru Purchases"])
    assert sorted(item["Name"] for item in defaults) == ["Distru Purchases", "Distru Sales"]
