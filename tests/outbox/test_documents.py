"""Sales and purchasing records reach QBO with the right references, accounts and totals."""

from decimal import Decimal

import pytest

from integrations.models import QboAccount, QboClass, QboConnection, QboItem, SyncJob, SyncRun
from purchases.models import PurchaseOrder, Vendor
from sales.models import Customer
from tests import factories
from tests.outbox.conftest import remote

pytestmark = pytest.mark.django_db


@pytest.fixture
def excise(db):
    tax = factories.TaxFactory(rate=Decimal("15"))
    tax.qbo_account = QboAccount.objects.get(name="Excise Tax Payable")
    tax.save()
    return tax


def make_invoice(push, excise, *, customer=None, lines=((3, "19.99"), (2, "7.125"))):
    with push():
        invoice = factories.InvoiceFactory(customer=customer or factories.CustomerFactory())
        for quantity, price in lines:
            factories.InvoiceLineFactory(
                invoice=invoice, quantity=Decimal(quantity), unit_price=Decimal(price)
            )
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=excise)
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    return invoice


def test_a_customer_already_in_qbo_is_linked_not_duplicated(synced, push):
    with push():
        customer = Customer.objects.create(name="Mary's Dispensary")
    customer.refresh_from_db()
    assert customer.qbo_id
    assert not synced.api_requests(entity="Customer", operation="create")
    matches = synced.query("SELECT * FROM Customer WHERE DisplayName = 'Mary\\'s Dispensary'")
    assert len(matches["Customer"]) == 1


@pytest.mark.parametrize(("model", "entity"), [(Customer, "Customer"), (Vendor, "Vendor")])
def test_a_name_qbo_cannot_query_still_finds_its_record_in_qbo(synced, push, model, entity):
    """’ and – are a lexical error in a query: the lookup asks with LIKE and matches exactly."""
    name = "Kimberly O’Neil – Dispensary"
    for look_alike in ("Kimberly O'Neil - Dispensary", name, "Kimberly O–Neil ’ Dispensary"):
        synced.api("POST", entity.lower(), json={"DisplayName": look_alike}).raise_for_status()
    [theirs] = [row for row in synced.query(f"SELECT * FROM {entity}")[entity]  # noqa: S608
                if row["DisplayName"] == name]  # fmt: skip
    synced.control("requests/clear")

    with push():
        record = model.objects.create(name=name)

    record.refresh_from_db()
    assert record.qbo_id == theirs["Id"]
    assert not synced.api_requests(entity=entity, operation="create")
    assert all(call["status"] == 200 for call in synced.api_requests(operation="query"))


def test_a_name_with_stray_spaces_still_finds_its_customer_in_qbo(synced, push):
    with push():
        customer = Customer.objects.create(name=" Mary's Dispensary  ")
    customer.refresh_from_db()
    assert customer.qbo_id
    assert not synced.api_requests(entity="Customer", operation="create")


def test_a_customer_named_like_a_vendor_gets_a_recognisable_unique_name(synced, push):
    with push():
        customer = Customer.objects.create(name="Emerald Farms")
    customer.refresh_from_db()
    assert remote(synced, "Customer", customer.qbo_id)["DisplayName"] == "Emerald Farms (Customer)"


def test_an_invoice_with_excise_reaches_qbo_with_its_customer_items_and_total(synced, push, excise):
    invoice = make_invoice(push, excise)
    assert (
        SyncJob.objects.get(object_id=str(invoice.pk), qbo_entity="Invoice").status == "succeeded"
    )
    assert invoice.qbo_id and invoice.customer.qbo_id
    body = remote(synced, "Invoice", invoice.qbo_id)
    assert body["DocNumber"] == invoice.number
    assert body["CustomerRef"]["value"] == Customer.objects.get().qbo_id
    assert Decimal(str(body["TotalAmt"])) == invoice.total == Decimal("85.35")
    item_refs = [
        line["SalesItemLineDetail"]["ItemRef"]["value"]
        for line in body["Line"]
        if line.get("DetailType") == "SalesItemLineDetail"
    ]
    distru_sales = QboItem.objects.get(name="Distru Sales").qbo_id
    excise_item = QboItem.objects.get(name="Excise Tax")
    assert item_refs == [distru_sales, distru_sales, excise_item.qbo_id]
    assert remote(synced, "Item", excise_item.qbo_id)["IncomeAccountRef"]["value"] == "10"
    # Dependencies went first: the customer was created before the invoice.
    order = [r["entity"] for r in synced.api_requests(method="POST")]
    assert order.index("Customer") < order.index("Invoice")


def test_a_mapped_product_line_uses_its_sales_item_and_its_class_per_line(synced, push, excise):
    item = QboItem.objects.get(name="Blue Dream 3.5g")
    klass = QboClass.objects.filter(active=True).first()
    QboItem.objects.filter(pk=item.pk).update(qbo_class=klass)
    product = factories.ProductFactory(sales_qbo_item=item)
    with push():
        invoice = factories.InvoiceFactory()
        factories.InvoiceLineFactory(invoice=invoice, product=product, quantity=Decimal(2))
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    line = remote(synced, "Invoice", invoice.qbo_id)["Line"][0]["SalesItemLineDetail"]
    assert line["ItemRef"]["value"] == item.qbo_id
    assert line["ClassRef"]["value"] == klass.qbo_id


def test_a_tax_without_a_mapped_account_is_a_clear_error_before_anything_is_sent(
    synced, push, excise
):
    excise.qbo_account = None
    excise.save()
    invoice = make_invoice(push, excise)
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.status == SyncJob.Status.FAILED
    assert "is not mapped to a QuickBooks account" in job.last_error
    assert invoice.qbo_id == ""
    assert not synced.api_requests(entity="Invoice")


def test_a_payment_is_linked_to_its_invoice_and_deposited_to_the_sales_deposit_account(
    synced, push, excise
):
    invoice = make_invoice(push, excise)
    with push():
        payment = factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("50.00"))
    payment.refresh_from_db()
    body = remote(synced, "Payment", payment.qbo_id)
    assert body["DepositToAccountRef"]["value"] == "1"
    assert body["Line"][0]["LinkedTxn"][0] == {"TxnId": invoice.qbo_id, "TxnType": "Invoice"}
    assert Decimal(str(remote(synced, "Invoice", invoice.qbo_id)["Balance"])) == Decimal("35.35")


def test_deleting_an_invoice_here_deletes_it_in_qbo(synced, push, excise):
    invoice = make_invoice(push, excise)
    qbo_id = invoice.qbo_id
    with push():
        invoice.delete()
    assert synced.api("GET", f"invoice/{qbo_id}").status_code == 400
    assert SyncJob.objects.get(qbo_entity="Invoice").status == SyncJob.Status.SUCCEEDED


def test_deleting_a_deposited_payment_gives_a_clear_error(synced, push, excise):
    invoice = make_invoice(push, excise)
    with push():
        payment = factories.InvoicePaymentFactory(invoice=invoice, amount=Decimal("10.00"))
    payment.refresh_from_db()
    synced.deposit(payment.qbo_id)
    with push():
        payment.delete()
    job = SyncJob.objects.get(qbo_entity="Payment")
    assert job.status == SyncJob.Status.FAILED and job.last_error_code == "6540"
    assert "undo the deposit" in job.last_error


def completed_order(push, *, status=PurchaseOrder.Status.COMPLETED, tax=None):
    with push():
        order = factories.PurchaseOrderFactory(status=status)
        factories.PurchaseOrderLineFactory(
            purchase_order=order, quantity=100, unit_price=Decimal("12.50")
        )
        if tax:
            factories.PurchaseOrderTaxLineFactory(purchase_order=order, tax=tax)
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=order)
    order.refresh_from_db()
    return order


def test_only_a_completed_purchase_order_becomes_a_bill_and_leaving_completed_deletes_it(
    synced, push, excise
):
    draft = completed_order(push, status=PurchaseOrder.Status.SUBMITTED)
    assert draft.qbo_id == "" and not synced.api_requests(entity="Bill")

    order = completed_order(push, tax=excise)
    body = remote(synced, "Bill", order.qbo_id)
    assert body["VendorRef"]["value"] == order.vendor.qbo_id
    item_line, tax_line = body["Line"]
    assert item_line["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] == (
        QboItem.objects.get(name="Distru Purchases").qbo_id
    )
    assert tax_line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] == "10"
    assert Decimal(str(body["TotalAmt"])) == order.total == Decimal("1437.50")

    bill_id = order.qbo_id
    order.status = PurchaseOrder.Status.SUBMITTED
    with push():
        order.save()
    order.refresh_from_db()
    assert order.qbo_id == ""
    assert synced.api("GET", f"bill/{bill_id}").status_code == 400


def test_a_purchase_payment_is_a_check_bill_payment_from_the_purchase_deposit_account(synced, push):
    order = completed_order(push)
    with push():
        payment = factories.PurchasePaymentFactory(purchase_order=order, amount=Decimal("250"))
    payment.refresh_from_db()
    body = remote(synced, "BillPayment", payment.qbo_id)
    assert body["PayType"] == "Check"
    assert body["CheckPayment"]["BankAccountRef"]["value"] == "1"
    assert body["Line"][0]["LinkedTxn"][0] == {"TxnId": order.qbo_id, "TxnType": "Bill"}


def test_returns_become_credit_memos_and_vendor_credits(synced, push):
    with push():
        sales_return = factories.SalesReturnFactory()
        factories.SalesReturnLineFactory(
            sales_return=sales_return, quantity=2, unit_price=Decimal("10")
        )
        purchase_return = factories.PurchaseReturnFactory()
        factories.PurchaseReturnLineFactory(
            purchase_return=purchase_return, quantity=5, unit_price=Decimal("4")
        )
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=sales_return)
        priced_document_recalculate(document=purchase_return)
    sales_return.refresh_from_db()
    purchase_return.refresh_from_db()
    memo = remote(synced, "CreditMemo", sales_return.qbo_id)
    credit = remote(synced, "VendorCredit", purchase_return.qbo_id)
    assert Decimal(str(memo["TotalAmt"])) == Decimal("20.00")
    assert Decimal(str(credit["TotalAmt"])) == Decimal("20.00")


def test_records_from_before_the_connection_get_no_job_until_saved_again(db, push):
    with push():
        customer = factories.CustomerFactory()
    assert not SyncJob.objects.exists()
    factories.QboConnectionFactory()
    QboConnection.objects.update(status=QboConnection.Status.CONNECTED)
    assert not SyncJob.objects.exists()
    with push():
        customer.save()
    assert SyncJob.objects.count() == 1


def test_an_item_inactivated_in_qbo_falls_back_to_the_default_with_a_warning(synced, push):
    item = QboItem.objects.get(name="Blue Dream 3.5g")
    product = factories.ProductFactory(sales_qbo_item=item)
    current = remote(synced, "Item", item.qbo_id)
    synced.api(
        "POST",
        "item",
        json={
            "Id": item.qbo_id,
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "Active": False,
        },
    )
    with push():
        invoice = factories.InvoiceFactory()
        factories.InvoiceLineFactory(invoice=invoice, product=product)
        from products.services import priced_document_recalculate

        priced_document_recalculate(document=invoice)
    invoice.refresh_from_db()
    job = SyncJob.objects.get(qbo_entity="Invoice")
    assert job.status == SyncJob.Status.SUCCEEDED
    assert "“Blue Dream 3.5g” was inactivated in QuickBooks" in job.warning
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.PUSH).exists()  # named by its cause
    line = remote(synced, "Invoice", invoice.qbo_id)["Line"][0]["SalesItemLineDetail"]
    assert line["ItemRef"]["value"] == QboItem.objects.get(name="Distru Sales").qbo_id
    product.refresh_from_db()
    assert product.sales_qbo_item is None
    assert not QboItem.objects.filter(name="Blue Dream 3.5g").exists()
