"""Every QBO edit noticed: the check compares what was last sent, every field the product owns,
says in words what differs, runs on Sync now too, and the record's page settles it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.models import QboAccount, QboClass, QboItem, SyncJob
from integrations.services.changes import changes_sync_run
from integrations.services.remote_changes import UNKNOWN_EDIT, VOIDED_IN_QBO
from purchases.models import PurchaseOrder
from tests import factories
from tests.outbox.conftest import remote

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(synced, push):
    """An invoice in QBO: two lines (the second on a class, per line), a memo, a due date."""
    classed = QboItem.objects.get(name="Blue Dream 3.5g")
    QboItem.objects.filter(pk=classed.pk).update(qbo_class=QboClass.objects.get(qbo_id="3"))
    with push():
        invoice = factories.InvoiceFactory(due_date=date(2026, 12, 10), notes="Deliver Tuesday")
        factories.InvoiceLineFactory(
            invoice=invoice, quantity=Decimal("3"), unit_price=Decimal("19.99")
        )
        factories.InvoiceLineFactory(
            invoice=invoice,
            product=factories.ProductFactory(sales_qbo_item=classed),
            quantity=Decimal("2"),
            unit_price=Decimal("7.125"),
            description="Blue Dream, per gram",
        )
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.SUCCEEDED
    return invoice


def edit_in_qbo(sandbox, entity, qbo_id, **fields):
    """A sparse update made in QuickBooks, as a user there would make it."""
    current = remote(sandbox, entity, qbo_id)
    answer = sandbox.api(
        "POST",
        entity.lower(),
        json={"Id": qbo_id, "SyncToken": current["SyncToken"], "sparse": True, **fields},
    )
    assert answer.status_code == 200, answer.text


def lines_edited(sandbox, entity, qbo_id, edit):
    """The document's lines (without QBO's SubTotal line), each after `edit(number, line)`."""
    lines = [
        line
        for line in remote(sandbox, entity, qbo_id)["Line"]
        if line["DetailType"] != "SubTotalLineDetail"
    ]
    for number, line in enumerate(lines, start=1):
        edit(number, line)
    return lines


def flagged(entity="Invoice") -> str:
    changes_sync_run()
    return SyncJob.objects.get(qbo_entity=entity).remote_change


def test_a_due_date_edited_in_qbo_is_flagged_in_words(invoice, synced):
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, DueDate="2026-12-20")
    assert (
        flagged() == "Edited in QuickBooks: Due date is 2026-12-20 in QuickBooks, 2026-12-10 here"
    )
    invoice.refresh_from_db()
    assert invoice.due_date == date(2026, 12, 10)  # one way: nothing here changes


def second_line(field, value):
    def edit(number, line):
        if number == 2:
            detail = line["SalesItemLineDetail"]
            target = detail if field in detail or field.endswith("Ref") or field == "Qty" else line
            target[field] = value

    return edit


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"PrivateNote": "Call first"},
            "Memo is “Call first” in QuickBooks, “Deliver Tuesday” here",
        ),
        ({"TxnDate": "2026-11-05"}, "Date is 2026-11-05 in QuickBooks, 2026-11-02 here"),
        ({"DocNumber": "Q-1"}, "Number is Q-1 in QuickBooks, INV-T"),
        ({"CustomerRef": {"value": "1"}}, "Customer is “Mary's Dispensary” in QuickBooks, “"),
        (second_line("Qty", 5), "Line 2 quantity is 5 in QuickBooks, 2 here"),
        (second_line("UnitPrice", 8), "Line 2 unit price is 8 in QuickBooks, 7.125 here"),
        (second_line("Amount", 16), "Line 2 amount is 16 in QuickBooks, 14.25 here"),
        (
            second_line("Description", "Blue Dream"),
            "Line 2 description is “Blue Dream” in QuickBooks, “Blue Dream, per gram” here",
        ),
        (
            second_line("ClassRef", {"value": "1"}),
            "Line 2 class is “Retail Delivery” in QuickBooks, “Northern California” here",
        ),
        (
            second_line("ItemRef", {"value": "2"}),
            "Line 2 item is “Distribution Fee” in QuickBooks, “Blue Dream 3.5g” here",
        ),
    ],
)
def test_every_field_the_product_owns_is_compared(invoice, synced, fields, expected):
    if callable(fields):
        fields = {"Line": lines_edited(synced, "Invoice", invoice.qbo_id, fields)}
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, **fields)
    assert flagged().startswith(f"Edited in QuickBooks: {expected}")


def test_a_line_added_in_qbo_is_counted(invoice, synced):
    lines = lines_edited(synced, "Invoice", invoice.qbo_id, lambda number, line: None)
    extra = {"Amount": 5, "DetailType": "SalesItemLineDetail"}
    extra["SalesItemLineDetail"] = {"ItemRef": {"value": "2"}, "Qty": 1, "UnitPrice": 5}
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, Line=[*lines, extra])
    assert "Number of lines is 3 in QuickBooks, 2 here" in flagged()


def test_a_bills_account_line_and_its_due_date_are_compared(synced, push):
    tax = factories.TaxFactory(
        rate=Decimal("15"), qbo_account=QboAccount.objects.get(name="Excise Tax Payable")
    )
    with push():
        order = factories.PurchaseOrderFactory(status=PurchaseOrder.Status.COMPLETED)
        factories.PurchaseOrderLineFactory(purchase_order=order, unit_price=Decimal("12.50"))
        factories.PurchaseOrderTaxLineFactory(purchase_order=order, tax=tax)
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=order)
    order.refresh_from_db()

    def move_the_tax(number, line):
        if number == 2:
            line["AccountBasedExpenseLineDetail"]["AccountRef"] = {"value": "7"}

    lines = lines_edited(synced, "Bill", order.qbo_id, move_the_tax)
    edit_in_qbo(synced, "Bill", order.qbo_id, Line=lines, DueDate="2026-12-31")
    assert flagged("Bill") == (
        "Edited in QuickBooks: Due date is 2026-12-31 in QuickBooks, 2026-12-01 here; "
        f"Line 2 account is “{QboAccount.objects.get(qbo_id='7').name}” in QuickBooks, "
        "“Excise Tax Payable” here"
    )


def test_a_long_memo_is_compared_without_being_kept(synced, push):
    memo = "Deliver to the back door. " * 20
    with push():
        invoice = factories.InvoiceFactory(notes=memo)
        factories.InvoiceLineFactory(invoice=invoice)
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.sent_fingerprint["PrivateNote"].startswith("sha256:")
    invoice.refresh_from_db()
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, PrivateNote=memo + "Ring twice.")
    assert flagged() == "Edited in QuickBooks: Memo differs (too long to show here)"


def test_what_was_sent_is_kept_at_success_without_reading_it_back(invoice, synced):
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.sent_fingerprint["DueDate"] == "2026-12-10"
    assert job.sent_fingerprint["Line2.ItemRef"][1] == "Blue Dream 3.5g"
    assert job.sent_fingerprint["Line#"] == 2
    assert not synced.api_requests(method="GET", entity="Invoice")


def test_a_document_sent_before_fingerprints_were_kept_is_flagged_without_guessing(invoice, synced):
    SyncJob.objects.update(sent_fingerprint={})
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, DueDate="2026-12-20")
    assert flagged() == UNKNOWN_EDIT


def test_sync_now_flags_an_edit_made_in_qbo(invoice, synced, admin_client):
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, DueDate="2026-12-20")
    admin_client.post(reverse("integrations:sync"))
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change.startswith(
        "Edited in QuickBooks: Due date is 2026-12-20"
    )


# ---- settling it on the record's page, as the broad-staff user -----------------------------


def invoice_page(client, invoice) -> str:
    return client.get(reverse("admin:sales_invoice_change", args=[invoice.pk])).content.decode()


def settle(client, invoice, choice):
    url = reverse("admin:sales_invoice_qbo_remote_change", args=[invoice.pk, choice])
    return client.post(url)


@pytest.fixture
def as_broad_staff(client, broad_staff):
    client.force_login(broad_staff)
    return client


def test_overwrite_sends_ours_over_the_edit(invoice, synced, as_broad_staff, push):
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, DueDate="2026-12-20")
    changes_sync_run()
    page = invoice_page(as_broad_staff, invoice)
    assert "Due date is 2026-12-20 in QuickBooks, 2026-12-10 here" in page
    assert page.count('class="qbo-settle"') == 2

    with push():
        response = settle(as_broad_staff, invoice, "overwrite")

    assert response.status_code == 302
    assert remote(synced, "Invoice", invoice.qbo_id)["DueDate"] == "2026-12-10"
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert (job.status, job.remote_change) == (SyncJob.Status.SUCCEEDED, "")
    changes_sync_run()  # our own write: not flagged again
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == ""


def test_overwrite_makes_a_copy_deleted_in_qbo_anew(invoice, synced, as_broad_staff, push):
    current = remote(synced, "Invoice", invoice.qbo_id)
    identity = {key: current[key] for key in ("Id", "SyncToken")}
    synced.api("POST", "invoice", params={"operation": "delete"}, json=identity)
    assert flagged() == "Deleted in QuickBooks"

    with push():
        settle(as_broad_staff, invoice, "overwrite")

    invoice.refresh_from_db()
    assert invoice.qbo_id and invoice.qbo_id != current["Id"]
    assert remote(synced, "Invoice", invoice.qbo_id)["DocNumber"] == invoice.number
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == ""


def test_keep_clears_the_flag_and_later_checks_compare_with_qbos_version(
    invoice, synced, as_broad_staff, push
):
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, DueDate="2026-12-20")
    changes_sync_run()
    synced.control("requests/clear")

    assert settle(as_broad_staff, invoice, "keep").status_code == 302

    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert (job.remote_change, job.sent_fingerprint["DueDate"]) == ("", "2026-12-20")
    assert not synced.api_requests(method="POST")  # nothing was sent
    with push():  # a payment moves the invoice's SyncToken in QBO: no edit
        factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("5.00"))
    changes_sync_run()
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change == ""
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, PrivateNote="Call first")
    assert flagged() == (
        "Edited in QuickBooks: Memo is “Call first” in QuickBooks, “Deliver Tuesday” here"
    )


def test_settling_needs_the_change_permission(invoice, synced, client, viewer, broad_staff):
    edit_in_qbo(synced, "Invoice", invoice.qbo_id, DueDate="2026-12-20")
    changes_sync_run()
    client.force_login(viewer)

    assert 'class="qbo-settle"' not in invoice_page(client, invoice)
    assert settle(client, invoice, "overwrite").status_code == 403
    assert settle(client, invoice, "keep").status_code == 403
    assert SyncJob.objects.get(qbo_entity="Invoice").remote_change
    client.force_login(broad_staff)
    url = reverse("admin:sales_invoice_qbo_remote_change", args=[invoice.pk, "keep"])
    assert client.get(url).status_code == 405  # a change is a POST


def test_an_invoice_voided_in_qbo_is_flagged_as_voided_not_as_a_list_of_zeros(invoice, synced):
    """QBO zeroes every amount and quantity and writes "Voided" before the memo: the flag says
    it was voided, and keeping QuickBooks' version takes the voided copy as the one to compare."""
    current = remote(synced, "Invoice", invoice.qbo_id)
    body = {"Id": invoice.qbo_id, "SyncToken": current["SyncToken"]}
    assert synced.api("POST", "invoice", json=body, params={"operation": "void"}).ok
    assert flagged() == VOIDED_IN_QBO
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.remote_fingerprint["Line1.Amount"] == "0"
    assert job.sync_token == remote(synced, "Invoice", invoice.qbo_id)["SyncToken"]
