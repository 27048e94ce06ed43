"""What a person does on the admin and settings pages, shared by the journeys."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

USERNAME, PASSWORD = "admin", "distru-demo"  # the demo superuser the stack makes
# Pushes and syncs run in the worker: a page shows their result once it is reloaded.
SETTLE_TIMEOUT = 60
KEY_ACCOUNTS = {
    "default_income_account": "Sales of Product Income (Income)",
    "default_expense_account": "Cost of Goods Sold (Cost of Goods Sold)",
    "sales_deposit_account": "Checking (Bank)",
    "purchase_deposit_account": "Savings (Bank)",
}


def log_in(page: Page) -> None:
    """Sign in on the admin's login form as the demo superuser."""
    page.goto("/admin/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Welcome")


def open_admin(page: Page, model: str) -> None:
    """Open a model's list (`model` as in its CSS class: qboitem) from the admin's sidebar, or
    from the home page where there is no sidebar."""
    link = page.locator(f"#nav-sidebar tr.model-{model} th a")
    if not link.count():
        page.goto("/admin/")
        link = page.locator(f"#content-main tr.model-{model} th a")
    link.click()
    page.wait_for_load_state()


def search(page: Page, text: str) -> None:
    """Type into the changelist's search box and press Enter."""
    page.fill("#searchbar", text)
    page.press("#searchbar", "Enter")
    # Wait for the answer: the list before the search may hold the same links.
    page.wait_for_url(re.compile(rf"[?&]{re.escape(urlencode({'q': text}))}(&|$)"))


def open_row(page: Page, name: str) -> None:
    """Open the change page of the changelist row linked as `name`."""
    page.locator("#result_list").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def pick(page: Page, field_id: str, text: str) -> None:
    """Choose `text` in a select: an admin autocomplete (select2) is opened, typed into and its
    matching result clicked; a plain select is set by the option's label."""
    select = page.locator(f"#{field_id}")
    if "admin-autocomplete" not in (select.get_attribute("class") or ""):
        select.select_option(label=text)
        return
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    # The admin searches names: "Checking (Bank)" is found by typing "Checking".
    typed = re.sub(r"\s*\([^()]*\)$", "", text)
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    # The option reads as the record's name, perhaps followed by its code: "Gelato 1g (PR-101)".
    exact = re.compile(rf"^\s*{re.escape(text)}(\s+\([^()]*\))?\s*$")
    page.locator(".select2-container--open .select2-results__option").filter(has_text=exact).click()
    expect(page.locator(f"#select2-{field_id}-container")).to_contain_text(text)


def save(page: Page, button: str = "_save") -> None:
    """Click one of the admin's Save buttons and wait for the answer."""
    page.click(f"input[name={button}]")
    page.wait_for_load_state()
    expect(page.locator(".errornote")).to_have_count(0)


def reload_until(
    page: Page, selector: str, text: str | re.Pattern, timeout: float = SETTLE_TIMEOUT
) -> None:
    """Reload the page until `selector` shows `text`, as a person does while a job runs."""
    locator = page.locator(selector).first
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(locator).to_contain_text(text, timeout=500)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        page.reload()


def grant_access(page: Page) -> None:
    """On the sandbox's consent page (Intuit's, in production), connect the company."""
    expect(page.locator("body")).to_contain_text("wants to connect")
    page.click("button[value=connect]")
    expect(page).to_have_url(re.compile(r"/settings/integrations/quickbooks/accounts/$"))


def choose_key_accounts(page: Page) -> None:
    """On the Key accounts page, once the worker has brought the chart in, choose the four
    accounts and save them."""
    expect(page.locator(".sync-run")).to_contain_text("finished", timeout=SETTLE_TIMEOUT * 1000)
    for field, label in KEY_ACCOUNTS.items():
        page.select_option(f"#id_{field}", label=label)
    page.click("input[value='Save key accounts']")
    expect(page).to_have_url(re.compile(r"/settings/integrations/quickbooks/$"))
    expect(page.locator(".messagelist")).to_contain_text("Key accounts saved.")


def quickbooks_status(page: Page) -> str:
    """Open Settings → Integrations → QuickBooks Online and read the connection's status."""
    page.goto("/admin/")
    page.click("text=Settings → Integrations")
    page.locator(".settings-card").filter(has_text="QuickBooks Online").locator(
        "a.qb-icon-link"
    ).click()
    return page.locator("h2 .status-pill").inner_text()


def disconnect(page: Page) -> None:
    """On the QuickBooks Online page, click Disconnect and confirm."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("input[value='Disconnect']")
    expect(page.locator(".messagelist")).to_contain_text("Disconnected from QuickBooks")


def ensure_connected(page: Page) -> None:
    """Connected with the key accounts chosen, whether or not journey 1 ran first."""
    if quickbooks_status(page) == "Connected":
        return
    page.click("input[type=submit][value$='QuickBooks Online'], input[value^='Reconnect']")
    grant_access(page)
    choose_key_accounts(page)
    wait_for_items(page)


def wait_for_items(page: Page) -> None:
    """Open the QuickBooks items and reload until the import has made the default items."""
    open_admin(page, "qboitem")
    reload_until(page, "#result_list", "Distru Sales")
    reload_until(page, "#result_list", "Distru Purchases")


def sync_status(page: Page) -> str:
    """The QuickBooks sync line of a record's change page (Synced, Pending, Paused, ...)."""
    return page.locator(".field-qbo_sync_details").inner_text()


def map_product(page: Page, product: str, item: str) -> None:
    """Open a product and pick `item` as both its Sales and its Purchase item."""
    open_admin(page, "product")
    search(page, product)
    open_row(page, product)
    pick(page, "id_sales_qbo_item", item)
    pick(page, "id_purchase_qbo_item", item)
    save(page)


def add_inline_row(page: Page, prefix: str) -> int:
    """Click an inline's "Add another …" link; returns the new row's index."""
    index = int(page.locator(f"#id_{prefix}-TOTAL_FORMS").input_value())
    page.locator(f"#{prefix}-group .add-row a").click()
    expect(page.locator(f"#id_{prefix}-{index}-id")).to_have_count(1)
    return index


def fill_line(page: Page, prefix: str, index: int, product: str, quantity: str, price: str) -> None:
    """Fill a document's line row: its product, quantity and unit price."""
    pick(page, f"id_{prefix}-{index}-product", product)
    page.fill(f"#id_{prefix}-{index}-quantity", quantity)
    page.fill(f"#id_{prefix}-{index}-unit_price", price)
