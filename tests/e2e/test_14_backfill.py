"""Journey 14: a distributor connects QuickBooks with two months of history already in Distru,
chooses a start date on the QuickBooks page, watches the backfill's progress reach done
without reloading, and finds the documents from that date on in QuickBooks.

A stack of its own: the demo's documents must still be unsent when it starts."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_context
from tests.e2e.pages import SETTLE_TIMEOUT, quickbooks_status
from tests.e2e.stack import Stack

SINCE = "2026-10-01"
# The sandbox answers slowly enough for the bar to be seen moving; then at full speed.
LATENCY_MS = 250


@pytest.fixture(scope="module")
def stack():
    running = Stack(seed="sample")
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


def october_invoice_numbers(page) -> set[str]:
    """The invoices dated in October 2026, as the invoice list shows them (the demo has none
    later), each with its QuickBooks status."""
    page.goto("/admin/sales/invoice/?invoice_date__year=2026&invoice_date__month=10")
    rows = page.locator("#result_list tbody tr")
    return {
        rows.nth(n).locator("th.field-number").inner_text(): rows.nth(n)
        .locator("td.field-qbo_status")
        .inner_text()
        for n in range(rows.count())
    }


def test_a_start_date_sends_what_quickbooks_lacks_and_the_bar_reaches_done(
    connected_page, stack, shots
):
    page = connected_page
    page.goto("/settings/taxes/")  # the demo's invoices charge Excise Tax
    page.get_by_label("QuickBooks account for Excise Tax").select_option(
        label="Excise Tax Payable (Other Current Liability)"
    )
    page.click("input[value='Save tax accounts']")
    assert set(october_invoice_numbers(page).values()) == {"Not sent"}

    quickbooks_status(page)
    card = page.locator("#backfill")
    card.scroll_into_view_if_needed()
    page.fill("#id_since", SINCE)
    shots("start-date-chosen", full_page=False)
    stack.sandbox.configure(latency_ms=LATENCY_MS)
    page.click("input[value='Start backfill']")
    expect(page.locator(".messagelist")).to_contain_text("Backfill started:")

    # The card fetches itself again while the worker sends: no reload from here on.
    page.evaluate("window.reloaded = false")
    percent = card.locator(".backfill-percent")
    expect(percent).to_have_text(re.compile(r"^([1-9]|[1-9]\d)%$"), timeout=SETTLE_TIMEOUT * 1000)
    expect(card.locator(".backfill-eta")).to_contain_text("documents a minute")
    card.scroll_into_view_if_needed()
    shots("progress-while-sending", full_page=False)
    stack.sandbox.configure(latency_ms=0)
    expect(card.locator(".status-pill")).to_have_text("Done", timeout=SETTLE_TIMEOUT * 2000)
    assert page.evaluate("window.reloaded") is False  # the same page, updated in place
    expect(percent).to_have_text("100%")
    expect(card.locator(".backfill-failed")).to_have_text("0")
    expect(card.locator(".backfill-left")).to_have_text("0")
    card.scroll_into_view_if_needed()
    shots("backfill-done", full_page=False)

    # Every invoice from the start date on is in QuickBooks, and nothing of August.
    listed = october_invoice_numbers(page)
    assert listed and set(listed.values()) == {"Synced"}
    in_qbo = stack.qbo("GET", "query", params={
        "query": "SELECT * FROM Invoice WHERE TxnDate >= '2026-10-01'"
    })["QueryResponse"]["Invoice"]  # fmt: skip
    assert {invoice["DocNumber"] for invoice in in_qbo} == set(listed)
    # August alone: the sample company's own invoices (April to June) are not the backfill's.
    august = stack.qbo("GET", "query", params={
        "query": "SELECT * FROM Invoice WHERE TxnDate >= '2026-08-01' AND TxnDate < '2026-09-01'"
    })["QueryResponse"]  # fmt: skip
    assert "Invoice" not in august
    shots("october-invoices-synced")
