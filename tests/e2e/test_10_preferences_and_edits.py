"""Journey 10: class tracking turned off in QuickBooks does not fail the next bill, and a due
date edited in QuickBooks is flagged with its words, then overwritten with ours."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.pages import (
    fill_line,
    map_product,
    open_admin,
    open_row,
    pick,
    reload_until,
    save,
    search,
)

PRODUCT = "Coastal Kind Gelato Gummies 100mg"
ITEM = "Gummies 100mg (10 pack)"  # given a class here, then mapped to the product
ITEM_CLASS = "Wholesale:Southern California"
VENDOR = "Kind Kitchen Edibles"
ORDER = "PO-E2E-10"
CUSTOMER = "Mission Organic"
INVOICE = "INV-E2E-10"
# What the outbox keeps on a bill sent again without its classes (integrations/outbox/runner.py).
CLASSES_DROPPED = "Turn class tracking on in QuickBooks"


def class_tracking_in_qbo(stack, *, per_line: bool) -> None:
    """Turn class tracking per line on or off in QuickBooks, as someone in the company would
    under Account and settings (a sparse update of Preferences)."""
    prefs = stack.qbo("GET", "preferences")["Preferences"]
    stack.qbo("POST", "preferences", json={
        "Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
        "AccountingInfoPrefs": {"ClassTrackingPerTxn": False, "ClassTrackingPerTxnLine": per_line},
    })  # fmt: skip


def sync_now(page) -> None:
    """Press Sync now on the QuickBooks Online page and wait in the sync history until its run
    succeeded: the one change pass, which reads the preferences too and flags documents
    edited in QuickBooks."""
    history = "/admin/integrations/syncrun/?trigger__exact=sync_now&status__exact=succeeded"
    page.goto(history)
    before = int(page.locator(".paginator").inner_text().split()[0])
    page.goto("/settings/integrations/quickbooks/")
    page.click("input[value='Sync now']")
    expect(page.locator(".messagelist")).to_contain_text("Sync started")
    page.goto(history)
    reload_until(page, ".paginator", re.compile(rf"(?<!\d){before + 1} QuickBooks sync runs?"))
    page.goto("/settings/integrations/quickbooks/")


def test_class_tracking_turned_off_spares_the_bill_and_an_edited_due_date_is_flagged_in_words(
    connected_page, stack, shots
):
    a_bill_goes_through_after_class_tracking_is_turned_off_in_quickbooks(
        connected_page, stack, shots
    )
    a_due_date_edited_in_quickbooks_is_flagged_then_overwritten(connected_page, stack, shots)


def a_bill_goes_through_after_class_tracking_is_turned_off_in_quickbooks(
    page, stack, shots
) -> None:
    """The product still believes class tracking is on when the bill is sent: QuickBooks
    refuses the line's class, and the bill goes again without it, with a warning."""
    class_tracking_in_qbo(stack, per_line=True)
    sync_now(page)
    expect(page.locator("dt:text-is('Class tracking') + dd")).to_have_text("per line")

    open_admin(page, "qboitem")
    search(page, ITEM)
    open_row(page, ITEM)
    page.select_option("#id_qbo_class", label=ITEM_CLASS)
    save(page, "_continue")
    reload_until(page, ".field-qbo_sync_details", "Status: Synced")
    item = stack.find("Item", Name=ITEM)[0]
    assert item["ClassRef"]["value"] == stack.find("Class", Name="Southern California")[0]["Id"]
    map_product(page, PRODUCT, ITEM)

    class_tracking_in_qbo(stack, per_line=False)  # and nobody presses Sync now
    open_admin(page, "purchaseorder")
    page.click(".object-tools a.addlink")
    page.fill("#id_number", ORDER)
    pick(page, "id_vendor", VENDOR)
    fill_line(page, "lines", 0, PRODUCT, "24", "6.50")
    save(page, "_continue")
    page.select_option("#id_status", label="Completed")
    save(page, "_continue")
    reload_until(page, ".field-qbo_sync_details", "Status: Synced")
    expect(page.locator(".field-qbo_sync_details")).to_contain_text(f"Warning: {CLASSES_DROPPED}")
    expect(page.locator(".push-attempts li")).to_have_count(1)  # the draft sent nothing
    shots("bill-sent-without-its-class-with-a-warning")

    bills = stack.find("Bill", DocNumber=ORDER)
    assert len(bills) == 1, bills
    lines = bills[0]["Line"]
    assert [line[line["DetailType"]]["ItemRef"]["value"] for line in lines] == [item["Id"]]
    assert not [line for line in lines if "ClassRef" in line[line["DetailType"]]]
    # The refused push read the preferences again: the product now knows.
    page.goto("/settings/integrations/quickbooks/")
    expect(page.locator("dt:text-is('Class tracking') + dd")).to_have_text("off")
    warned = page.locator("#outbox tbody tr").filter(has_text=f"Purchase order {ORDER}")
    expect(warned).to_contain_text(CLASSES_DROPPED)


def a_due_date_edited_in_quickbooks_is_flagged_then_overwritten(page, stack, shots) -> None:
    """Someone moves the invoice's due date in QuickBooks; Sync now flags it in words, and
    Overwrite QuickBooks with ours puts our date back."""
    open_admin(page, "invoice")
    page.click(".object-tools a.addlink")
    page.fill("#id_number", INVOICE)
    pick(page, "id_customer", CUSTOMER)
    invoiced = date.fromisoformat(page.input_value("#id_invoice_date"))
    ours, theirs = invoiced + timedelta(days=30), invoiced + timedelta(days=45)
    page.fill("#id_due_date", ours.isoformat())
    fill_line(page, "lines", 0, PRODUCT, "12", "9.00")
    save(page, "_continue")
    reload_until(page, ".field-qbo_sync_details", "Status: Synced")
    invoice = stack.find("Invoice", DocNumber=INVOICE)[0]
    assert invoice["DueDate"] == ours.isoformat()

    stack.qbo("POST", "invoice", json={
        "Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True,
        "DueDate": theirs.isoformat(),
    })  # fmt: skip
    sync_now(page)
    changed = page.locator("#outbox tbody tr").filter(has_text=f"Invoice {INVOICE}")
    changed.get_by_role("link", name=f"Invoice {INVOICE}").click()
    details = page.locator(".field-qbo_sync_details")
    expect(details).to_contain_text("Status: Changed in QuickBooks")
    expect(details).to_contain_text(
        f"Due date is {theirs.isoformat()} in QuickBooks, {ours.isoformat()} here"
    )
    expect(page.locator("#id_due_date")).to_have_value(ours.isoformat())  # nothing changed here
    overwrite = page.get_by_role("button", name="Overwrite QuickBooks with ours")
    # Drawn as the admin's own History button beside it, not as a bare browser button.
    drawn = (
        "e => ['backgroundColor', 'borderRadius', 'textTransform'].map(k => getComputedStyle(e)[k])"
    )
    assert overwrite.evaluate(drawn) == page.locator(".object-tools .historylink").evaluate(drawn)
    shots("due-date-edited-in-quickbooks-flagged-in-words")

    overwrite.click()
    expect(page.locator(".messagelist")).to_contain_text("Our version is on its way to QuickBooks")
    reload_until(page, ".field-qbo_sync_details", "Status: Synced")
    expect(page.get_by_role("button", name="Overwrite QuickBooks with ours")).to_have_count(0)
    shots("due-date-overwritten-with-ours")
    invoices = stack.find("Invoice", DocNumber=INVOICE)
    assert [found["DueDate"] for found in invoices] == [ours.isoformat()]
