"""Journey 6: QuickBooks revokes the connection; pushes pause; reconnecting sends them."""

from playwright.sync_api import expect

from tests.e2e.pages import (
    grant_access,
    open_admin,
    open_row,
    quickbooks_status,
    reload_until,
    save,
    search,
)

CUSTOMER = "Mission Organic"
PHONE = "(415) 555-0199"


def test_a_revoked_connection_pauses_pushes_until_the_user_reconnects(connected_page, stack, shots):
    page = connected_page
    stack.sandbox.revoke_tokens()  # as disconnecting the app inside QuickBooks does

    open_admin(page, "customer")
    search(page, CUSTOMER)
    open_row(page, CUSTOMER)
    page.fill("#id_phone", PHONE)
    save(page, "_continue")
    reload_until(page, ".field-qbo_sync_details", "Paused (reconnect to QuickBooks)")
    # Every admin page says so, with the way back.
    expect(page.locator(".qbo-banner")).to_contain_text("Pushes to QuickBooks are paused")
    expect(page.locator(".qbo-banner a")).to_have_text("Reconnect to QuickBooks")
    shots("customer-push-paused")

    assert quickbooks_status(page) == "Expired: reconnect to QuickBooks"
    expect(page.locator(".warning-box").first).to_contain_text("Reconnect to QuickBooks.")
    expect(page.locator("#outbox")).to_contain_text("paused until you reconnect")
    shots("status-says-reconnect")

    page.click("input[value='Reconnect to QuickBooks']")
    grant_access(page)
    expect(page.locator(".messagelist")).to_contain_text("Connected to QuickBooks")

    open_admin(page, "customer")
    search(page, CUSTOMER)
    open_row(page, CUSTOMER)
    reload_until(page, ".field-qbo_sync_details", "Synced")
    shots("customer-synced-after-reconnect")
    customer = stack.find("Customer", DisplayName=CUSTOMER)[0]
    assert customer["PrimaryPhone"]["FreeFormNumber"] == PHONE
