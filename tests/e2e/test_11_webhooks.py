"""Journey 11: with webhooks on, an item made in QuickBooks arrives here, and once inactivated
there it is gone and its product falls back to the default items, with no *Sync now*."""

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import map_product, open_admin, reload_until, search

PRODUCT = "Coastal Kind Pineapple Express Live Resin 1g"
ITEM = "Pineapple Express Live Resin 1g"
# Seconds a change made in QuickBooks may take to show here: the sandbox gathers changes for
# 1 s, then the endpoint and a worker's pass take well under one; the hourly pass is far off.
WITHIN_SECONDS = 30


@pytest.fixture
def webhooks(stack):
    """The sandbox posts its webhooks to the stack's endpoint for this journey only, so that
    the others see QuickBooks' changes only when they press Sync now."""
    stack.webhooks(on=True)
    yield
    stack.webhooks(on=False)


def test_an_item_inactivated_in_quickbooks_is_gone_here_within_seconds_without_sync_now(
    connected_page, stack, webhooks, shots
):
    page = connected_page
    income = stack.find("Account", Name="Sales of Product Income")[0]
    expense = stack.find("Account", Name="Cost of Goods Sold")[0]
    made = stack.qbo("POST", "item", json={
        "Name": ITEM, "Type": "NonInventory", "UnitPrice": 38, "PurchaseCost": 19,
        "IncomeAccountRef": {"value": income["Id"]}, "ExpenseAccountRef": {"value": expense["Id"]},
    })["Item"]  # fmt: skip

    open_admin(page, "qboitem")
    search(page, ITEM)
    reload_until(page, "#result_list", ITEM, timeout=WITHIN_SECONDS)
    shots("item-made-in-quickbooks-arrives", full_page=False)
    map_product(page, PRODUCT, ITEM)

    # In QuickBooks, someone makes the item inactive: a sparse update, as QBO's own screens do.
    item = stack.qbo("GET", f"item/{made['Id']}")["Item"]
    stack.qbo("POST", "item", json={
        "Id": item["Id"], "SyncToken": item["SyncToken"], "sparse": True, "Active": False,
    })  # fmt: skip

    open_admin(page, "product")
    search(page, PRODUCT)
    row = page.locator("#result_list tbody tr").first
    reload_until(page, "td.field-sales_qbo_item", "Distru Sales (default)", timeout=WITHIN_SECONDS)
    expect(row.locator("td.field-purchase_qbo_item")).to_have_text("Distru Purchases (default)")
    shots("product-falls-back-without-sync-now", full_page=False)

    open_admin(page, "qboitem")
    search(page, ITEM)
    expect(page.locator("#changelist-form")).to_contain_text("0 QuickBooks items")

    # The QuickBooks page: the webhook that did it, and the pass it started, naming the product.
    page.goto("/settings/integrations/quickbooks/")
    expect(page.locator("#webhooks-state")).to_contain_text("On:")
    expect(page.locator("#webhooks-last-event")).to_contain_text(f"Item {made['Id']} deleted")
    expect(page.locator("#webhooks-last-event")).to_contain_text("taken in by the sync of")
    webhook_run = (
        page.locator("tr")
        .filter(has_text="QuickBooks webhook")
        .filter(has_text=f"“{PRODUCT}” lost its sales item “{ITEM}”")
    )
    expect(webhook_run).to_have_count(1)
    expect(webhook_run.locator(".sync-log")).to_contain_text(
        f"“{ITEM}” is no longer active in QuickBooks."
    )
    shots("quickbooks-page-names-the-webhook-and-its-sync")

    delivered = stack.sandbox.state()["webhooks"]
    assert delivered["sent"] >= 2  # the create and the inactivation, each answered 200
    assert delivered["failed"] == 0
