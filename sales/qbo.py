"""How sales records become QBO objects: customers, invoices, payments and credit memos."""

from decimal import Decimal

from integrations.company_prefs import (
    doc_number,
    documents_check,
    qbo_keeps_sent_numbers,
    sales_tax_fields,
)
from integrations.item_adapter import class_tracking_on, ref
from integrations.outbox.registry import (
    PRIORITY_DOCUMENT,
    PRIORITY_NAME,
    PRIORITY_PAYMENT,
    LedgerFields,
    PushContext,
    PushRefused,
    QboSyncAdapter,
)
from integrations.services.items import item_for_invoice_line
from sales.selectors import customer_open_balance
from sales.services import tax_item_ensure


def address_lines(text: str) -> dict:
    """A free-text address as QBO's BillAddr lines (it takes up to five)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:5]
    return {f"Line{n}": line[:500] for n, line in enumerate(lines, start=1)}


def money(value: Decimal) -> Decimal:
    """Amounts leave as Decimal; the client writes them as JSON numbers."""
    return Decimal(value)


class PartyAdapter(QboSyncAdapter):
    """Customers and vendors: QBO's DisplayName is unique across both lists together."""

    priority = PRIORITY_NAME
    delete_mode = "inactivate"

    @staticmethod
    def display_name(record) -> str:
        # QBO trims names as it stores them; so must our lookup, or it misses the record.
        return record.name.strip()

    def open_balance(self, record) -> Decimal:
        """The balance QBO would find open on this customer or vendor."""
        raise NotImplementedError

    def payload(self, record, *, context) -> dict:
        name = self.display_name(record)
        if not record.active and (balance := self.open_balance(record)):
            # QBO refuses to inactivate a party whose balance is open; say so before sending.
            kind = self.entity.lower()
            raise PushRefused(
                f"Settle {name}'s open balance of {balance} first (record the payments or "
                f"returns that bring it to zero), then retry: QuickBooks will not make a {kind} "
                f"with an open balance inactive. It stays inactive here and active in QuickBooks."
            )
        body = {"DisplayName": name, "CompanyName": name, "Active": record.active}
        if record.email:
            body["PrimaryEmailAddr"] = {"Address": record.email}
        if record.phone:
            body["PrimaryPhone"] = {"FreeFormNumber": record.phone}
        if record.address:
            body["BillAddr"] = address_lines(record.address)
        if record.license_number:
            body["Notes"] = f"License {record.license_number}"
        return body

    def find_existing(self, record, *, client) -> dict | None:
        # Linking to a same-named record already in QBO avoids a duplicate in the books.
        matches = client.find(self.entity, {"DisplayName": self.display_name(record)})
        return matches[0] if matches else None

    def renamed_after_clash(self, record, body: dict) -> dict | None:
        # The name is taken in the *other* list (a customer that is also a vendor).
        suffix = f" ({self.entity})"
        name = self.display_name(record)
        return {**body, "DisplayName": name[: 100 - len(suffix)] + suffix}


class CustomerAdapter(PartyAdapter):
    entity = "Customer"

    def open_balance(self, record) -> Decimal:
        return customer_open_balance(customer=record)


def sales_item_lines(lines, *, context: PushContext) -> tuple[list[dict], object | None]:
    """SalesItemLineDetail lines, each on the product's Sales item or the Distru Sales default.

    Returns the lines and the first class seen, for a header ClassRef under per-document
    class tracking.
    """
    documents_check(context.connection)
    per_line = context.connection.class_tracking_per_line
    body, header_class = [], None
    for line in lines:
        item = item_for_invoice_line(line.product)
        detail = {"ItemRef": ref(item), "Qty": line.quantity, "UnitPrice": line.unit_price}
        if item.qbo_class and class_tracking_on(context):
            header_class = header_class or item.qbo_class
            if per_line:
                detail["ClassRef"] = ref(item.qbo_class)
        body.append(
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": money(line.amount),
                "Description": (line.description or line.product.name)[:4000],
                "SalesItemLineDetail": detail,
            }
        )
    return body, header_class


def tax_item_lines(tax_lines) -> list[dict]:
    """Each tax (Excise Tax) as a line on the tax's own service item, for its amount."""
    return [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": money(tax_line.amount),
            "Description": f"{tax_line.tax.name} ({tax_line.rate.normalize()}%)",
            "SalesItemLineDetail": {
                "ItemRef": ref(tax_item_ensure(tax=tax_line.tax)),
                "Qty": 1,
                "UnitPrice": money(tax_line.amount),
            },
        }
        for tax_line in tax_lines
    ]


def sales_document_body(document, lines, *, context: PushContext, date, tax_lines=()) -> dict:
    """The header and lines shared by invoices and credit memos, taxed as QBO must see them."""
    line_body, header_class = sales_item_lines(lines, context=context)
    body = {
        "CustomerRef": ref(document.customer),
        **doc_number(context.connection, document.number),
        "TxnDate": date.isoformat(),
        "Line": [*line_body, *tax_item_lines(tax_lines)],
    }
    if header_class and context.connection.class_tracking_per_txn:
        body["ClassRef"] = ref(header_class)
    return sales_tax_fields(body, context.connection)


class SalesFormAdapter(QboSyncAdapter):
    """Invoices and credit memos, which QBO numbers itself when custom numbers are off."""

    priority = PRIORITY_DOCUMENT

    def sends_doc_number(self, connection) -> bool:
        return qbo_keeps_sent_numbers(connection)


class InvoiceAdapter(SalesFormAdapter):
    entity = "Invoice"
    voidable = True
    ledger = LedgerFields(date="invoice_date", total="total", number="number")

    fingerprint_fields = (
        "CustomerRef",
        "DocNumber",
        "TxnDate",
        "DueDate",
        "PrivateNote",
        "ClassRef",
        "Line",
    )

    dependency_prefetch = ("customer", "lines__product__sales_qbo_item", "tax_lines__tax")

    def dependencies(self, record) -> list:
        taxes = [tax_item_ensure(tax=tax_line.tax) for tax_line in record.tax_lines.all()]
        items = [item_for_invoice_line(line.product) for line in record.lines.all()]
        return [record.customer, *items, *taxes]

    def payload(self, record, *, context) -> dict:
        body = sales_document_body(
            record,
            record.lines.select_related("product__sales_qbo_item__qbo_class"),
            context=context,
            date=record.invoice_date,
            tax_lines=record.tax_lines.select_related("tax"),
        )
        if record.due_date:
            body["DueDate"] = record.due_date.isoformat()
        if record.notes:
            body["PrivateNote"] = record.notes[:4000]
        return body


class InvoicePaymentAdapter(QboSyncAdapter):
    entity = "Payment"
    priority = PRIORITY_PAYMENT
    voidable = True
    ledger = LedgerFields(date="paid_on", total="amount")

    def label(self, record) -> str:
        return f"Payment {record.amount} on invoice {record.invoice.number}"

    fingerprint_fields = (
        "CustomerRef",
        "TotalAmt",
        "TxnDate",
        "DepositToAccountRef",
        "PaymentRefNum",
        "Line",
    )

    dependency_prefetch = ("invoice",)

    def dependencies(self, record) -> list:
        return [record.invoice]

    def payload(self, record, *, context) -> dict:
        deposit = context.connection.sales_deposit_account
        if deposit is None:
            raise PushRefused(
                "Choose the Sales Deposit account in Settings → Integrations → QuickBooks → "
                "Key accounts before payments can be sent."
            )
        invoice = record.invoice
        body = {
            "CustomerRef": ref(invoice.customer),
            "TotalAmt": money(record.amount),
            "TxnDate": record.paid_on.isoformat(),
            "DepositToAccountRef": ref(deposit),
            "Line": [
                {
                    "Amount": money(record.amount),
                    "LinkedTxn": [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}],
                }
            ],
        }
        if record.reference:
            body["PaymentRefNum"] = record.reference[:21]
        return body


class SalesReturnAdapter(SalesFormAdapter):
    entity = "CreditMemo"
    ledger = LedgerFields(date="return_date", total="total", number="number")

    fingerprint_fields = ("CustomerRef", "DocNumber", "TxnDate", "PrivateNote", "ClassRef", "Line")

    dependency_prefetch = ("customer", "lines__product__sales_qbo_item")

    def dependencies(self, record) -> list:
        items = [item_for_invoice_line(line.product) for line in record.lines.all()]
        return [record.customer, *items]

    def payload(self, record, *, context) -> dict:
        lines = record.lines.select_related("product__sales_qbo_item__qbo_class")
        body = sales_document_body(record, lines, context=context, date=record.return_date)
        if record.reason:
            body["PrivateNote"] = record.reason[:4000]
        return body
