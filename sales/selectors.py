from decimal import Decimal

from distru_qbo.money import money_total
from sales.models import Customer, InvoicePayment


def customer_open_balance(*, customer: Customer) -> Decimal:
    """What the customer owes, as QBO counts it: invoices, less payments and returns (credit)."""
    paid = InvoicePayment.objects.filter(invoice__customer=customer)
    return (
        money_total(customer.invoices.all(), "total")
        - money_total(paid, "amount")
        - money_total(customer.returns.all(), "total")
    )
