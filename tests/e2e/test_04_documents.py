"""Journey 4: an invoice with Excise Tax, its payment and a completed purchase order reach
QuickBooks with the right references."""

from decimal import Decimal

from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORT
from tests.e2e.pages import (
    add_inline_row,
    fill_line,
    map_product,
    open_admin,
    pick,
    reload_until,
    save,
    search,
)

MAPPED = "High Desert Sour Diesel Vape Cart 0.5g"  # mapped here to the item below
MAPPED_ITEM = "Sour Diesel Cartridge 0.5g"
UNMAPPED = "Redwood Roots Wedding Cake Gummies 100mg"  # falls back to Distru Sales
CUSTOMER = "Green Door Dispensary"
VENDOR = "Humboldt Family Farms"
INVOICE = "INV-E2E-1"
ORDER = "PO-E2E-1"


def add_excise_tax(page, prefix: str) -> None:
    index = add_inline_row(page, prefix)
    pick(page, f"id_{prefix}-{index}-tax", "Excise Tax (15%)")


def readonly(page, field: str) -> str:
    return page.locator(f".field-{field} .readonly").inner_text()


def test_invoice_payment_and_bill_reach_quickbooks_with_the_right_references(
    connected_page, stack, shots
):
    page = connected_page
    page.click("text=Settings → Taxes")
    page.get_by_label("QuickBooks account for Excise Tax").select_option(
        label="Excise Tax Payable (Other Current Liability)"
    )
    page.click("input[value='Save tax accounts']")
    expect(page.locator(".messagelist")).to_contain_text("Tax accounts saved (Excise Tax)")
    shots("excise-tax-mapped")
    map_product(page, MAPPED, MAPPED_ITEM)

    open_admin(page, "invoice")
    page.click(".object-tools a.addlink")
    page.fill("#id_number", INVOICE)
    pick(page, "id_customer", CUSTOMER)
    fill_line(page, "lines", 0, MAPPED, "10", "30.00")
    fill_line(page, "lines", add_inline_row(page, "lines"), UNMAPPED, "4", "17.50")
    add_excise_tax(page, "tax_lines")
    shots("new-invoice-with-excise-tax")
    # The line tables fit the form: nothing to scroll sideways at 1440 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    save(page, "_continue")
    expect(page.locator(".field-total .readonly")).to_have_text("425.50")  # 370 + 15%
    reload_until(page, ".field-qbo_sync_details", "Synced")
    shots("invoice-synced")

    # Paid in full: a payment row on the invoice.
    index = add_inline_row(page, "payments")
    page.fill(f"#id_payments-{index}-amount", readonly(page, "total"))
    page.select_option(f"#id_payments-{index}-method", label="ACH / bank transfer")
    page.fill(f"#id_payments-{index}-reference", "ACH-E2E-1")
    save(page, "_continue")
    open_admin(page, "invoicepayment")
    search(page, INVOICE)
    reload_until(page, "#result_list tbody tr td.field-qbo_status", "Synced")
    shots("payment-synced", full_page=False)
    open_admin(page, "invoice")
    listed = page.locator("#result_list tbody tr").filter(has_text=INVOICE)
    expect(listed.locator("td.field-qbo_status")).to_have_text("Synced")
    shots("invoices-with-quickbooks-status", full_page=False)

    open_admin(page, "purchaseorder")
    page.click(".object-tools a.addlink")
    page.fill("#id_number", ORDER)
    pick(page, "id_vendor", VENDOR)
    fill_line(page, "lines", 0, MAPPED, "20", "14.00")
    add_excise_tax(page, "tax_lines")
    save(page, "_continue")
    page.select_option("#id_status", label="Completed")
    save(page, "_continue")
    reload_until(page, ".field-qbo_sync_details", "Synced")
    shots("purchase-order-completed-and-synced")

    def one(entity: str, **where) -> dict:
        found = stack.find(entity, **where)
        assert len(found) == 1, (entity, where, found)
        return found[0]

    def item_id(name: str) -> str:
        return one("Item", Name=name)["Id"]

    def account_id(name: str) -> str:
        return one("Account", Name=name)["Id"]

    customer = one("Customer", DisplayName=CUSTOMER)
    invoice = one("Invoice", DocNumber=INVOICE)
    assert invoice["CustomerRef"]["value"] == customer["Id"]
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("425.50")
    lines = [line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in lines] == [
        item_id(MAPPED_ITEM),
        item_id("Distru Sales"),
        item_id("Excise Tax"),
    ]

    payments = [
        payment
        for payment in stack.find("Payment")
        if any(
            linked["TxnId"] == invoice["Id"]
            for line in payment["Line"]
            for linked in line.get("LinkedTxn", [])
        )
    ]
    assert len(payments) == 1
    payment = payments[0]
    assert payment["CustomerRef"]["value"] == customer["Id"]
    assert payment["DepositToAccountRef"]["value"] == account_id("Checking")  # Sales Deposit
    assert Decimal(str(payment["TotalAmt"])) == Decimal("425.50")

    vendor = one("Vendor", DisplayName=VENDOR)
    bill = one("Bill", DocNumber=ORDER)
    assert bill["VendorRef"]["value"] == vendor["Id"]
    details = [(line["DetailType"], line[line["DetailType"]]) for line in bill["Line"]]
    assert [d["ItemRef"]["value"] for t, d in details if t == "ItemBasedExpenseLineDetail"] == [
        item_id(MAPPED_ITEM)
    ]
    assert [
        d["AccountRef"]["value"] for t, d in details if t == "AccountBasedExpenseLineDetail"
    ] == [account_id("Excise Tax Payable")]
    assert Decimal(str(bill["TotalAmt"])) == Decimal("322.00")  # 280 + 15%
