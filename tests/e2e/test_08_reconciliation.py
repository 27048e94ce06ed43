"""Journey 8: at month end, the accountant sends the demo documents to QuickBooks and opens the
reconciliation of the demo month: every document matched, one query per document type. Then
someone edits and adds invoices in QuickBooks itself, and the next comparison lists them."""

import re
import time

from playwright.sync_api import expect

from tests.e2e.pages import SETTLE_TIMEOUT, open_admin, quickbooks_status

DEMO_MONTH = "2026-09"  # the month in which the demo has documents of all six types
DOCUMENT_LISTS = [
    "invoice",
    "invoicepayment",
    "salesreturn",
    "purchaseorder",
    "purchasepayment",
    "purchasereturn",
]
UNFINISHED = re.compile(r"^(Pending|Running)$")


def sync_everything_listed(page, model: str) -> None:
    """On a list, select every row and run *Sync to QuickBooks*."""
    open_admin(page, model)
    page.check("#action-toggle")
    page.select_option("select[name=action]", "sync_to_quickbooks")
    page.click("#changelist-form button[type=submit][name=index]")
    expect(page.locator(".messagelist")).to_contain_text("queued for QuickBooks")


def wait_until_sent(page, model: str) -> None:
    """Reload the list until no row is still on its way to QuickBooks."""
    open_admin(page, model)
    deadline = time.monotonic() + 2 * SETTLE_TIMEOUT
    while page.locator("td.field-qbo_status").filter(has_text=UNFINISHED).count():
        assert time.monotonic() < deadline, f"{model}: pushes still unfinished"
        time.sleep(1)
        page.reload()
    expect(page.locator("td.field-qbo_status").filter(has_text="Failed")).to_have_count(0)


def test_the_demo_month_reconciles_with_every_document_matched(connected_page, stack, shots):
    page = connected_page
    page.goto("/settings/taxes/")  # the demo's invoices charge Excise Tax
    page.get_by_label("QuickBooks account for Excise Tax").select_option(
        label="Excise Tax Payable (Other Current Liability)"
    )
    page.click("input[value='Save tax accounts']")
    for model in DOCUMENT_LISTS:
        sync_everything_listed(page, model)
    for model in DOCUMENT_LISTS:
        wait_until_sent(page, model)
    stack.sandbox.control("requests/clear")

    quickbooks_status(page)
    page.click("a.button:text('Reconciliation')")
    page.fill("#id_month", DEMO_MONTH)
    page.click("input[value='Show']")
    expect(page.locator("h2")).to_contain_text("September 2026")
    expect(page.locator("#content")).to_contain_text("Not compared yet for September 2026.")
    page.click("input[value='Compare with QuickBooks']")
    # The page reloads itself while the worker reads QuickBooks.
    expect(page.locator(".sync-run")).to_contain_text(
        "Every document matches.", timeout=SETTLE_TIMEOUT * 1000
    )
    pills = page.locator("#summary .status-pill")
    expect(pills).to_have_count(6)
    for index in range(6):
        expect(pills.nth(index)).to_have_text(re.compile(r"^\d+ documents? matched$"))
    expect(page.locator("#differences")).to_have_count(0)
    expect(page.locator(".sync-run")).to_contain_text("with 6 reads from QuickBooks")
    queries = [e for e in stack.sandbox.state()["requests"] if e.get("operation") == "query"]
    assert len(queries) == 6
    shots("demo-month-every-document-matched")

    # In QuickBooks itself: one invoice renumbered, one made there.
    september = "SELECT * FROM Invoice WHERE TxnDate >= '2026-09-01' AND TxnDate <= '2026-09-30'"
    invoice = stack.qbo("GET", "query", params={"query": september})["QueryResponse"]["Invoice"][0]
    stack.qbo("POST", "invoice", json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"],
                                       "sparse": True, "DocNumber": "QB-EDITED"})  # fmt: skip
    made_there = stack.qbo("POST", "invoice", json={
        "CustomerRef": invoice["CustomerRef"], "DocNumber": "QB-ONLY", "TxnDate": "2026-09-15",
        "Line": [{"Amount": 250, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}],
    })["Invoice"]  # fmt: skip
    page.click("input[value='Compare with QuickBooks']")
    expect(page.locator(".sync-run")).to_contain_text(
        "2 documents differ or are on one side only.", timeout=SETTLE_TIMEOUT * 1000
    )
    rows = page.locator("#differences tbody tr")
    expect(rows).to_have_count(2)
    edited = rows.filter(has_text="Number is QB-EDITED in QuickBooks")
    expect(edited.locator("a").first).to_have_attribute(
        "href", re.compile(r"/admin/sales/invoice/\d+/change/")
    )
    only_there = rows.filter(has_text="Record it here if it belongs in Distru")
    expect(only_there.get_by_role("link")).to_have_attribute(
        "href", re.compile(rf"/app/invoice\?txnId={made_there['Id']}$")
    )
    shots("edits-made-in-quickbooks-listed")
