"""Journey 7: an invoice with Excise Tax and its payment, in a US company under QBO's automated
sales tax, in one without sales tax, and in a Canadian one. QuickBooks' total and balance end
equal to ours; for the Canadian company the QuickBooks page says plainly what is not sent, and
nothing that QuickBooks would refuse is sent.

Each company is a stack of its own (the product links one QuickBooks company for good)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Screenshots, open_context
from tests.e2e.pages import (
    add_inline_row,
    fill_line,
    open_admin,
    pick,
    quickbooks_status,
    reload_until,
    save,
    search,
)
from tests.e2e.stack import Stack
from tests.e2e.test_04_documents import add_excise_tax, readonly

CUSTOMER = "Green Door Dispensary"
PRODUCT = "Redwood Roots Wedding Cake Gummies 100mg"
INVOICE = "INV-E2E-7"
TOTAL = Decimal("80.50")  # 4 x 17.50 + 15% excise


@pytest.fixture(scope="module", params=["us-ast", "sample", "canada"])
def stack(request):
    """A stack whose QuickBooks company is made from this seed."""
    running = Stack(seed=request.param)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser_context(browser, stack):
    context = open_context(browser, stack)
    yield context
    context.close()


@pytest.fixture
def seed(request) -> str:
    return request.node.callspec.params["stack"]


@pytest.fixture
def shots(page, screenshot_dir, seed) -> Screenshots:
    """The journey's screenshots, a numbered set per company: 07-us-ast-01-....png."""
    folder, committed = screenshot_dir
    return Screenshots(page, folder, f"07-{seed}", committed)


def map_excise_tax(page) -> None:
    page.click("text=Settings → Taxes")
    page.get_by_label("QuickBooks account for Excise Tax").select_option(
        label="Excise Tax Payable (Other Current Liability)"
    )
    page.click("input[value='Save tax accounts']")
    expect(page.locator(".messagelist")).to_contain_text("Tax accounts saved (Excise Tax)")


def invoice_with_excise_and_payment(page) -> None:
    open_admin(page, "invoice")
    page.click(".object-tools a.addlink")
    page.fill("#id_number", INVOICE)
    pick(page, "id_customer", CUSTOMER)
    fill_line(page, "lines", 0, PRODUCT, "4", "17.50")
    add_excise_tax(page, "tax_lines")
    save(page, "_continue")
    expect(page.locator(".field-total .readonly")).to_have_text(str(TOTAL))


def pay_in_full(page) -> None:
    index = add_inline_row(page, "payments")
    page.fill(f"#id_payments-{index}-amount", readonly(page, "total"))
    page.fill(f"#id_payments-{index}-reference", "ACH-E2E-7")
    save(page, "_continue")


SETTINGS = {
    "us-ast": "Automated sales tax: QuickBooks calculates it",
    "sample": "Invoices and returns keep their Distru numbers in QuickBooks.",
    "canada": "Not supported for documents",
}


def test_an_invoice_with_excise_and_its_payment_end_equal_in_quickbooks(
    connected_page, stack, shots, seed
):
    page = connected_page
    seeded = {invoice["Id"] for invoice in stack.find("Invoice")}  # the sample company's own
    quickbooks_status(page)
    expect(page.locator("#company-settings")).to_contain_text(SETTINGS[seed])
    shots("company-settings")
    map_excise_tax(page)
    invoice_with_excise_and_payment(page)

    if seed == "canada":
        reload_until(page, ".field-qbo_sync_details", "Failed")
        expect(page.locator(".field-qbo_sync_details")).to_contain_text(
            "Enter it in QuickBooks yourself, or connect a US QuickBooks company"
        )
        shots("invoice-not-sent")
        quickbooks_status(page)
        expect(page.locator("#outside-us")).to_contain_text("This QuickBooks company is in Canada")
        shots("quickbooks-page-says-why")
        assert {invoice["Id"] for invoice in stack.find("Invoice")} == seeded
        assert not stack.sandbox.api_requests(method="POST", entity="Invoice")
        return

    reload_until(page, ".field-qbo_sync_details", "Synced")
    pay_in_full(page)
    open_admin(page, "invoicepayment")
    search(page, INVOICE)
    reload_until(page, "#result_list tbody tr td.field-qbo_status", "Synced")
    shots("payment-synced", full_page=False)

    (invoice,) = [found for found in stack.find("Invoice") if found["Id"] not in seeded]
    assert Decimal(str(invoice["TotalAmt"])) == TOTAL
    assert Decimal(str(invoice["Balance"])) == 0
    assert invoice["TxnTaxDetail"]["TotalTax"] == 0
    # Without custom transaction numbers (the AST company), QuickBooks numbered it itself.
    assert (invoice.get("DocNumber") == INVOICE) is (seed == "sample")
