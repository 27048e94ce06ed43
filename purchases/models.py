from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from distru_qbo.constraints import FieldUniqueConstraint
from integrations.models import QboSyncable
from products.models import (
    DOC_NUMBER_MAX,
    MONEY,
    NUMBER_HELP,
    DocumentNumbering,
    PricedDocument,
    ProductLine,
    Side,
)
from sales.models import ONE_LINE_PER_TAX, PAYMENT_AMOUNT_IN_RANGE, Party, PaymentMethod, TaxLine


class Vendor(Party):
    """A cultivator or manufacturer the distributor buys from."""


class PurchaseOrder(QboSyncable, PricedDocument):
    """An order to a vendor; once completed it becomes a QBO bill."""

    side = Side.PURCHASES
    numbering = DocumentNumbering.Kind.PURCHASE_ORDER
    party_field = "vendor"
    tax_lines_relation = "tax_lines"
    payments_relation = "payments"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(
        max_length=DOC_NUMBER_MAX, unique=True, blank=True, help_text=NUMBER_HELP
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    order_date = models.DateField(default=timezone.localdate)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(PricedDocument.Meta):
        ordering = ["-order_date", "-number"]

    def __str__(self):
        return f"Purchase order {self.number}"


class PurchaseOrderLine(ProductLine):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )


class PurchaseOrderTaxLine(TaxLine):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="tax_lines"
    )

    class Meta(TaxLine.Meta):
        constraints = [
            *TaxLine.Meta.constraints,
            FieldUniqueConstraint(
                fields=["purchase_order", "tax"],
                name="purchaseordertaxline_unique_tax",
                violation_error_message=ONE_LINE_PER_TAX,
                violation_field="tax",
            ),
        ]


class PurchasePayment(QboSyncable):
    """Money paid to a vendor against a purchase order (a QBO bill payment)."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    paid_on = models.DateField(default=timezone.localdate)
    method = models.CharField(
        max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.CHECK
    )
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [PAYMENT_AMOUNT_IN_RANGE]

    def __str__(self):
        return f"Payment of {self.amount} on {self.purchase_order}"


class PurchaseReturn(QboSyncable, PricedDocument):
    """Goods sent back to a vendor; becomes a QBO vendor credit."""

    side = Side.PURCHASES
    numbering = DocumentNumbering.Kind.PURCHASE_RETURN
    party_field = "vendor"

    number = models.CharField(
        max_length=DOC_NUMBER_MAX, unique=True, blank=True, help_text=NUMBER_HELP
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="returns")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="returns"
    )
    return_date = models.DateField(default=timezone.localdate)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(PricedDocument.Meta):
        ordering = ["-return_date", "-number"]

    def __str__(self):
        return f"Purchase return {self.number}"


class PurchaseReturnLine(ProductLine):
    purchase_return = models.ForeignKey(
        PurchaseReturn, on_delete=models.CASCADE, related_name="lines"
    )
