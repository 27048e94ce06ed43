"""Journey 9: a failing push is found from the panel's QB icon, filtered in the invoice list,
fixed, retried and synced; every synced list keeps its QuickBooks status in sight at 1440 px;
mistakes are caught when they are saved, in words."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORT
from tests.e2e.pages import add_inline_row, open_admin, open_row, pick, reload_until, save, search

# Every synced list, by its CSS model name.
SYNCED_LISTS = [
    "invoice",
    "invoicepayment",
    "salesreturn",
    "customer",
    "purchaseorder",
    "purchasepayment",
    "purchasereturn",
    "vendor",
    "qboitem",
]
INVOICE = "INV-E2E-7"
CUSTOMER = "Green Door Dispensary"
PRODUCT = "High Desert Sour Diesel Vape Cart 0.5g"


def filter_by_quickbooks_status(page, state: str) -> None:
    """Click a state in the list's "By QuickBooks status" filter."""
    choices = page.locator('details[data-filter-title="QuickBooks status"] a')
    choices.filter(has_text=re.compile(rf"^{state}$")).click()
    page.wait_for_load_state()


def test_status_in_sight_a_failure_found_filtered_fixed_and_synced_and_mistakes_caught_at_save(
    connected_page, stack, shots
):
    lists_keep_the_status_in_sight(connected_page, shots)
    a_failing_push_is_found_from_the_panel_filtered_fixed_retried_and_synced(
        connected_page, stack, shots
    )
    mistakes_are_caught_when_they_are_saved_in_words(connected_page, shots)


def lists_keep_the_status_in_sight(page, shots) -> None:
    """Every synced list shows the QuickBooks status at 1440 px without scrolling."""
    for model in SYNCED_LISTS:
        open_admin(page, model)
        status = page.locator("#result_list thead th.column-qbo_status").bounding_box()
        results = page.locator("#changelist .results").bounding_box()
        right_edge = min(VIEWPORT["width"], results["x"] + results["width"])
        assert status["x"] + status["width"] <= right_edge, model
        if model == "purchaseorder":
            orders = page.locator("#result_list tbody tr")
            draft = orders.filter(has=page.locator("td.field-status", has_text="Draft")).first
            expect(draft.locator("td.field-qbo_status")).to_have_text("Sent when completed")
            shots("orders-not-completed-say-when-they-are-sent", full_page=False)
        if model == "qboitem":
            items = page.locator("#result_list tbody tr")
            made = items.filter(has_text="Distru Sales").locator("td.field-qbo_status")
            expect(made).to_have_text("Made here")
            imported = items.filter(has_text="Blue Dream 3.5g").locator("td.field-qbo_status")
            expect(imported).to_have_text("Imported from QuickBooks")
            shots("items-say-where-they-came-from", full_page=False)


def a_failing_push_is_found_from_the_panel_filtered_fixed_retried_and_synced(
    page, stack, shots
) -> None:
    """Someone typed the invoice's number into QuickBooks first: the push is refused (6140),
    found from the panel, filtered in the list, fixed in QuickBooks and retried."""
    customer = stack.find("Customer")[0]
    item = stack.find("Item", Type="Service")[0]
    typed_in_qbo = stack.qbo("POST", "invoice", json={
        "CustomerRef": {"value": customer["Id"]}, "DocNumber": INVOICE,
        "Line": [{"Amount": 10, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}],
    })["Invoice"]  # fmt: skip

    open_admin(page, "invoice")
    page.click(".object-tools a.addlink")
    page.fill("#id_number", INVOICE)
    pick(page, "id_customer", CUSTOMER)
    pick(page, "id_lines-0-product", PRODUCT)
    page.fill("#id_lines-0-quantity", "4")
    page.fill("#id_lines-0-unit_price", "30.00")
    save(page, "_continue")

    # The panel says a push failed; its QB icon opens the sync status.
    page.click("text=Settings → Integrations")
    reload_until(page, ".push-problems", re.compile(r"\d+ push(es)? failed"))
    shots("panel-names-failed-pushes")
    page.click("a.qb-icon-link")
    expect(page).to_have_url(re.compile(r"/settings/integrations/quickbooks/#outbox$"))
    failed = page.locator("#outbox tbody tr").filter(has_text=f"Invoice {INVOICE}")
    expect(failed.locator(".qbo-error-action")).to_contain_text(
        "Give this record a number no other QuickBooks transaction uses"
    )
    expect(failed.locator(".qbo-error-said")).to_contain_text(
        "QuickBooks said: “Duplicate Document Number Error"
    )
    expect(failed.locator(".qbo-error-reference")).to_contain_text(
        "code 6140 · HTTP 400 · intuit_tid"
    )
    failed.scroll_into_view_if_needed()
    shots("status-page-says-what-to-do-then-quickbooks-words", full_page=False)
    failed.get_by_role("link", name=f"Invoice {INVOICE}").click()
    expect(page.locator(".field-qbo_sync_details")).to_contain_text("Failed")

    # Every failed invoice, and only those, in the invoice list.
    open_admin(page, "invoice")
    filter_by_quickbooks_status(page, "Failed")
    statuses = page.locator("#result_list tbody td.field-qbo_status")
    expect(statuses.first).to_have_text("Failed")
    assert set(statuses.all_inner_texts()) == {"Failed"}
    expect(page.locator("#result_list tbody tr").filter(has_text=INVOICE)).to_have_count(1)
    shots("invoices-filtered-to-failed", full_page=False)

    # Fixed in QuickBooks (the typed-in invoice renumbered); Retry sends ours, once.
    stack.qbo("POST", "invoice", json={
        "Id": typed_in_qbo["Id"], "SyncToken": typed_in_qbo["SyncToken"], "sparse": True,
        "DocNumber": f"{INVOICE}-QB",
    })  # fmt: skip
    page.goto("/settings/integrations/quickbooks/")
    failed = page.locator("#outbox tbody tr").filter(has_text=f"Invoice {INVOICE}")
    failed.locator("input[value=Retry]").click()
    expect(page.locator(".messagelist")).to_contain_text("1 failed push queued again.")
    open_admin(page, "invoice")
    filter_by_quickbooks_status(page, "Synced")
    search(page, INVOICE)
    reload_until(page, "#result_list tbody", INVOICE)
    assert len(stack.find("Invoice", DocNumber=INVOICE)) == 1


def mistakes_are_caught_when_they_are_saved_in_words(page, shots) -> None:
    """A payment above the balance, Key accounts with nothing chosen, the connection admin."""
    # More than the invoice has open.
    open_admin(page, "invoice")
    search(page, INVOICE)
    open_row(page, INVOICE)
    balance = page.locator(".field-balance_due .readonly").inner_text()
    index = add_inline_row(page, "payments")
    page.fill(f"#id_payments-{index}-amount", "100000.00")
    page.click("input[name=_continue]")
    expect(page.locator("#payments-group .errorlist")).to_contain_text(
        "Lower the payments or add to the lines: the payments add up to 100,000.00"
    )
    expect(page.locator(".field-balance_due .readonly")).to_have_text(balance)
    page.locator("#payments-group").scroll_into_view_if_needed()
    shots("payment-above-the-balance-refused", full_page=False)

    # Nothing chosen on Key accounts is not "saved".
    page.goto("/settings/integrations/quickbooks/accounts/")
    for field in ("default_income_account", "default_expense_account"):
        page.select_option(f"#id_{field}", value="")
    page.select_option("#id_sales_deposit_account", value="")
    page.select_option("#id_purchase_deposit_account", value="")
    page.click("input[value='Save key accounts']")
    expect(page.locator(".errorlist")).to_contain_text(
        "Choose at least one account, then save: nothing was chosen, so nothing was saved."
    )
    shots("key-accounts-with-nothing-chosen")

    # The connection admin shows, read-only, where each setting is changed.
    open_admin(page, "qboconnection")
    page.locator("#result_list tbody a").first.click()
    expect(page.locator(".field-where_to_change")).to_contain_text("Key accounts")
    expect(page.locator("#id_default_income_account")).to_have_count(0)
    shots("connection-admin-read-only")
