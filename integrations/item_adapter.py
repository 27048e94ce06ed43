"""How a QboItem made or edited here becomes a QBO Item."""

from integrations.models import QboItem
from integrations.outbox.registry import PRIORITY_NAME, PushContext, PushRefused, QboSyncAdapter


def ref(obj) -> dict | None:
    """A QBO reference to a mirrored object, or None when it has no QBO id yet."""
    return (
        {"value": obj.qbo_id, "name": str(getattr(obj, "name", ""))} if obj and obj.qbo_id else None
    )


def class_tracking_on(context: PushContext) -> bool:
    """QBO refuses (or ignores) ClassRef unless the company tracks classes."""
    connection = context.connection
    return connection.class_tracking_per_line or connection.class_tracking_per_txn


class QboItemAdapter(QboSyncAdapter):
    entity = "Item"
    priority = PRIORITY_NAME
    delete_mode = "inactivate"

    def payload(self, record: QboItem, *, context: PushContext) -> dict:
        income = record.income_account or context.connection.default_income_account
        expense = record.expense_account or context.connection.default_expense_account
        if income is None:
            raise PushRefused(
                f"“{record.name}” has no income account. Set one on the item, or choose the "
                "Default Income account in Settings → Integrations → QuickBooks → Key accounts."
            )
        body = {
            "Name": record.name,
            "Type": record.type,
            "Active": record.active,
            "Description": record.description,
            "Sku": record.sku,
            "IncomeAccountRef": ref(income),
        }
        if expense is not None:
            body["ExpenseAccountRef"] = ref(expense)
        if record.unit_price is not None:
            body["UnitPrice"] = record.unit_price
        if record.purchase_cost is not None:
            body["PurchaseCost"] = record.purchase_cost
        if record.qbo_class and class_tracking_on(context):
            body["ClassRef"] = ref(record.qbo_class)
        return body
