from decimal import Decimal

from distru_qbo.money import money_total
from purchases.models import PurchaseOrder, PurchasePayment, Vendor


def vendor_open_balance(*, vendor: Vendor) -> Decimal:
    """What is owed to the vendor, as QBO counts it: bills, less payments and vendor credits."""
    bills = vendor.purchase_orders.filter(status=PurchaseOrder.Status.COMPLETED)
    paid = PurchasePayment.objects.filter(purchase_order__in=bills)
    return (
        money_total(bills, "total")
        - money_total(paid, "amount")
        - money_total(vendor.returns.all(), "total")
    )
