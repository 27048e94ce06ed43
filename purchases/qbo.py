"""How purchasing records become QBO objects: vendors, bills, bill payments, vendor credits."""

from decimal import Decimal

from integrations.company_prefs import documents_check
from integrations.item_adapter import ref
from integrations.outbox.registry import (
    PRIORITY_DOCUMENT,
    PRIORITY_PAYMENT,
    LedgerFields,
    PushContext,
    PushRefused,
    QboSyncAdapter,
)
from integrations.services.items import item_for_bill_line
from purchases.models import PurchaseOrder
from purchases.selectors import vendor_open_balance
from sales.qbo import PartyAdapter, money
from sales.services import tax_account_for_push


class VendorAdapter(PartyAdapter):
    entity = "Vendor"

    def open_balance(self, record) -> Decimal:
        return vendor_open_balance(vendor=record)


def item_expense_lines(lines, *, context: PushContext) -> list[dict]:
    """ItemBasedExpenseLineDetail lines on the Purchase item or the Distru Purchases default."""
    documents_check(context.connection)
    body = []
    for line in lines:
        item = item_for_bill_line(line.product)
        detail = {"ItemRef": ref(item), "Qty": line.quantity, "UnitPrice": line.unit_price}
        if item.qbo_class and context.connection.class_tracking_per_line:
            detail["ClassRef"] = ref(item.qbo_class)
        body.append(
            {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": money(line.amount),
                "Description": (line.description or line.product.name)[:4000],
                "ItemBasedExpenseLineDetail": detail,
            }
        )
    return body


def tax_expense_lines(tax_lines) -> list[dict]:
    """Each tax as an account-based line posted straight to the tax's mapped account."""
    body = []
    for tax_line in tax_lines:
        account = tax_account_for_push(tax=tax_line.tax)
        body.append(
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": money(tax_line.amount),
                "Description": f"{tax_line.tax.name} ({tax_line.rate.normalize()}%)",
                "AccountBasedExpenseLineDetail": {"AccountRef": ref(account)},
            }
        )
    return body


def bill_items(lines) -> list:
    return [item_for_bill_line(line.product) for line in lines]


class PurchaseOrderAdapter(QboSyncAdapter):
    """A completed purchase order is a Bill; leaving *completed* deletes the bill."""

    entity = "Bill"
    priority = PRIORITY_DOCUMENT
    ledger = LedgerFields(
        date="order_date", total="total", number="number", here="completed purchase orders"
    )

    def wants_push(self, record) -> bool:
        return record.status == PurchaseOrder.Status.COMPLETED

    def in_books(self, records):
        return records.filter(status=PurchaseOrder.Status.COMPLETED)

    fingerprint_fields = ("VendorRef", "DocNumber", "TxnDate", "DueDate", "PrivateNote", "Line")

    dependency_prefetch = ("vendor", "lines__product__purchase_qbo_item")

    def dependencies(self, record) -> list:
        return [record.vendor, *bill_items(record.lines.all())]

    def payload(self, record, *, context) -> dict:
        lines = record.lines.select_related("product__purchase_qbo_item__qbo_class")
        body = {
            "VendorRef": ref(record.vendor),
            "DocNumber": record.number,
            "TxnDate": record.order_date.isoformat(),
            "Line": [
                *item_expense_lines(lines, context=context),
                *tax_expense_lines(record.tax_lines.select_related("tax__qbo_account")),
            ],
        }
        if record.due_date:
            body["DueDate"] = record.due_date.isoformat()
        if record.notes:
            body["PrivateNote"] = record.notes[:4000]
        return body


class PurchasePaymentAdapter(QboSyncAdapter):
    entity = "BillPayment"
    priority = PRIORITY_PAYMENT
    voidable = True
    ledger = LedgerFields(date="paid_on", total="amount")

    def label(self, record) -> str:
        return f"Payment {record.amount} on {record.purchase_order}"

    fingerprint_fields = (
        "VendorRef",
        "PayType",
        "TotalAmt",
        "TxnDate",
        "CheckPayment",
        "PrivateNote",
        "Line",
    )

    dependency_prefetch = ("purchase_order",)

    def dependencies(self, record) -> list:
        return [record.purchase_order]

    def payload(self, record, *, context) -> dict:
        order = record.purchase_order
        if order.status != PurchaseOrder.Status.COMPLETED or not order.qbo_id:
            raise PushRefused(
                f"{order} is not completed, so it has no bill in QuickBooks to pay yet."
            )
        bank = context.connection.purchase_deposit_account
        if bank is None:
            raise PushRefused(
                "Choose the Purchase Deposit account in Settings → Integrations → QuickBooks → "
                "Key accounts before payments can be sent."
            )
        body = {
            "VendorRef": ref(order.vendor),
            "PayType": "Check",
            "TotalAmt": money(record.amount),
            "TxnDate": record.paid_on.isoformat(),
            "CheckPayment": {"BankAccountRef": ref(bank)},
            "Line": [
                {
                    "Amount": money(record.amount),
                    "LinkedTxn": [{"TxnId": order.qbo_id, "TxnType": "Bill"}],
                }
            ],
        }
        if record.reference:
            # DocNumber is the check number, which QBO refuses to repeat (6140); a free-text
            # reference such as "ACH" or an invoice number repeats freely in the memo.
            body["PrivateNote"] = record.reference
        return body


class PurchaseReturnAdapter(QboSyncAdapter):
    entity = "VendorCredit"
    priority = PRIORITY_DOCUMENT
    ledger = LedgerFields(date="return_date", total="total", number="number")

    fingerprint_fields = ("VendorRef", "DocNumber", "TxnDate", "PrivateNote", "Line")

    dependency_prefetch = ("vendor", "lines__product__purchase_qbo_item")

    def dependencies(self, record) -> list:
        return [record.vendor, *bill_items(record.lines.all())]

    def payload(self, record, *, context) -> dict:
        lines = record.lines.select_related("product__purchase_qbo_item__qbo_class")
        body = {
            "VendorRef": ref(record.vendor),
            "DocNumber": record.number,
            "TxnDate": record.return_date.isoformat(),
            "Line": item_expense_lines(lines, context=context),
        }
        if record.reason:
            body["PrivateNote"] = record.reason[:4000]
        return body
