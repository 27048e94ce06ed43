"""Journey 12: a three-line invoice with Excise Tax entered in ten interactions, from the list
of invoices to the save. The number comes from the series, each price from the product's default
sale price, each quantity is 1 and the excise applies to sales by default; the totals follow as
the lines are picked, and the invoice reaches QuickBooks with those lines and that tax."""

from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.e2e.pages import open_admin, open_row, reload_until, save, search

CUSTOMER = "Green Door Dispensary"
# Searched for by SKU, as a person with the price list in hand would.
PRODUCTS = {
    "FL-EME-100": "Emerald Peak Blue Dream Flower 3.5g",
    "PR-SUN-101": "Sunset Farms OG Kush Pre-Roll 1g",
    "ED-RED-104": "Redwood Roots Wedding Cake Gummies 100mg",
}
EXCISE_RATE = Decimal("0.15")
MOST_INTERACTIONS = 10
CENT = Decimal("0.01")


class Interactions:
    """What a person does on the page, counted: every click and every text typed is one."""

    def __init__(self, page: Page):
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def type(self, selector: str, text: str) -> None:
        self.count += 1
        self.page.fill(selector, text)


def picker(field_id: str) -> str:
    return f"#{field_id} + .select2 .select2-selection"


def search_in_picker(person: Interactions, text: str) -> None:
    """Type into the open picker's search, then wait (no interaction) for the match to be the
    highlighted result, which the picker takes when it is left."""
    person.type(".select2-container--open .select2-search__field", text)
    highlighted = person.page.locator(
        ".select2-container--open .select2-results__option--highlighted"
    )
    expect(highlighted).to_contain_text(text)


def default_sale_price(page: Page, sku: str) -> Decimal:
    """The product's default sale price, read from its admin page (not counted)."""
    open_admin(page, "product")
    search(page, sku)
    open_row(page, PRODUCTS[sku])
    return Decimal(page.input_value("#id_unit_price"))


def excise_applies_to_sales(page: Page) -> None:
    """The setup a distributor does once: Excise Tax is mapped in QuickBooks and applies to
    sales by default."""
    page.click("text=Settings → Taxes")
    page.get_by_label("QuickBooks account for Excise Tax").select_option(
        label="Excise Tax Payable (Other Current Liability)"
    )
    page.click("input[value='Save tax accounts']")
    # Earlier journeys on this session's stack may have mapped it already: the state counts.
    expect(
        page.get_by_label("QuickBooks account for Excise Tax").locator("option:checked")
    ).to_have_text("Excise Tax Payable (Other Current Liability)")
    open_admin(page, "tax")
    open_row(page, "Excise Tax")
    page.select_option("#id_applies_to", label="Sales (invoices)")
    save(page)


def test_a_three_line_invoice_with_excise_takes_ten_interactions_and_reaches_quickbooks(
    connected_page, stack, shots
):
    page = connected_page
    excise_applies_to_sales(page)
    shots("excise-applies-to-sales", full_page=False)
    prices = {sku: default_sale_price(page, sku) for sku in PRODUCTS}
    open_admin(page, "invoice")

    person = Interactions(page)
    person.click(".object-tools a.addlink")
    number = page.get_attribute("#id_number", "placeholder")
    assert number and number.startswith("INV-")
    expect(page.locator("#id_tax_lines-0-tax option:checked")).to_have_text("Excise Tax (15%)")
    person.click(picker("id_customer"))
    search_in_picker(person, CUSTOMER)
    skus = list(PRODUCTS)
    for index, sku in enumerate(skus):
        person.click(picker(f"id_lines-{index}-product"))  # leaving the last picker takes it
        search_in_picker(person, sku)
        if index == 1:  # the first line is in, priced and taxed, as the second is typed
            first = prices[skus[0]]
            expect(page.locator("#id_lines-0-unit_price")).to_have_value(f"{first:.4f}")
            expect(page.locator("#id_lines-0-quantity")).to_have_value("1")
            expect(page.locator(".field-total .readonly")).to_have_text(
                str((first * (1 + EXCISE_RATE)).quantize(CENT))
            )
    shots("invoice-entered-by-sku")
    person.click("input[name=_continue]")
    page.wait_for_load_state()
    expect(page.locator(".errornote")).to_have_count(0)

    assert person.count <= MOST_INTERACTIONS
    assert person.count == 10
    subtotal = sum(prices.values()).quantize(CENT)
    excise = (subtotal * EXCISE_RATE).quantize(CENT)
    expect(page.locator("#id_number")).to_have_value(number)
    expect(page.locator(".field-total .readonly")).to_have_text(str(subtotal + excise))
    for index, sku in enumerate(skus):
        expect(page.locator(f"#id_lines-{index}-unit_price")).to_have_value(f"{prices[sku]:.4f}")
    shots("invoice-saved")

    reload_until(page, ".field-qbo_sync_details", "Synced")
    (invoice,) = stack.find("Invoice", DocNumber=number)
    lines = [line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    sent = [(line["SalesItemLineDetail"]["Qty"], Decimal(str(line["Amount"]))) for line in lines]
    assert sent == [*((1, prices[sku]) for sku in skus), (1, excise)]
    assert lines[-1]["Description"] == "Excise Tax (15%)"
    assert Decimal(str(invoice["TotalAmt"])) == subtotal + excise
