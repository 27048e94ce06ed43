from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from distru_qbo.constraints import FieldCheckConstraint, FieldUniqueConstraint
from integrations.models import QboAccount, QboItem, QboSyncable
from integrations.validators import qbo_name_validator
from products.models import (
    DOC_NUMBER_MAX,
    MONEY,
    NUMBER_HELP,
    DocumentNumbering,
    PricedDocument,
    ProductLine,
    Side,
    within_column,
)

ONE_LINE_PER_TAX = "Charge each tax once: this document already has a line for this tax."
PAYMENT_AMOUNT_IN_RANGE = within_column(
    "amount", MONEY, "Enter a payment of {limit} at most, or split it in two."
)


class Party(QboSyncable):
    """What customers and vendors share: a unique name (QBO's DisplayName) and contacts."""

    name = models.CharField(max_length=100, unique=True, validators=[qbo_name_validator])
    license_number = models.CharField("license number", max_length=50, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.TextField(blank=True)
    tax_exempt = models.BooleanField(
        "tax-exempt",
        default=False,
        help_text="New documents of this customer or vendor get no tax by default.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(Party):
    """A dispensary or retailer that buys from the distributor."""


class TaxQuerySet(models.QuerySet):
    def charged_by_default(self, side: Side) -> "TaxQuerySet":
        """The active taxes a new document of `side` gets without a click."""
        return self.filter(active=True, applies_to__in=[side, Tax.AppliesTo.BOTH])


class Tax(models.Model):
    """A tax such as Excise Tax, charged as a percentage of a document's subtotal."""

    class AppliesTo(models.TextChoices):
        NEITHER = "none", "Neither: added by hand"
        SALES = Side.SALES, "Sales (invoices)"
        PURCHASES = Side.PURCHASES, "Purchases (purchase orders)"
        BOTH = "both", "Sales and purchases"

    # A tax reaches QBO as a service item named after it, so it obeys QBO's item names.
    name = models.CharField(max_length=100, unique=True, validators=[qbo_name_validator])
    rate = models.DecimalField(
        "rate (%)",
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    qbo_account = models.ForeignKey(
        QboAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="taxes",
        verbose_name="QuickBooks account",
        help_text="Where this tax posts in QuickBooks.",
    )
    # Linked by key, never found by name: a tax renamed after a product's item must not take
    # that item over. Made or adopted at the first push (sales.services.tax_item_ensure).
    qbo_item = models.OneToOneField(
        QboItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tax",
        editable=False,
        verbose_name="QuickBooks item",
        help_text="The service item that carries this tax on invoice lines in QuickBooks.",
    )
    applies_to = models.CharField(
        "applies by default to",
        max_length=10,
        choices=AppliesTo.choices,
        default=AppliesTo.NEITHER,
        help_text=(
            "New documents of this side get this tax without a click, unless their customer or "
            "vendor is tax-exempt. Documents already saved are not changed."
        ),
    )
    active = models.BooleanField(default=True)

    objects = TaxQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "taxes"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.rate.normalize()}%)"


class TaxLine(models.Model):
    """A tax charged on a document: the rate and taxable amount as they were when computed."""

    tax = models.ForeignKey(Tax, on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"), editable=False)
    taxable_amount = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    amount = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)

    class Meta:
        abstract = True
        ordering = ["id"]
        constraints = [
            within_column(
                "taxable_amount", MONEY, "Split the document: a tax applies to {limit} at most."
            ),
            within_column("amount", MONEY, "Split the document: a tax may be {limit} at most."),
        ]

    def __str__(self):
        return f"{self.tax.name}: {self.amount}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    ACH = "ach", "ACH / bank transfer"
    WIRE = "wire", "Wire"
    OTHER = "other", "Other"


class Invoice(QboSyncable, PricedDocument):
    """A sale to a customer."""

    side = Side.SALES
    numbering = DocumentNumbering.Kind.INVOICE
    party_field = "customer"
    tax_lines_relation = "tax_lines"
    payments_relation = "payments"

    number = models.CharField(
        max_length=DOC_NUMBER_MAX, unique=True, blank=True, help_text=NUMBER_HELP
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    invoice_date = models.DateField(default=timezone.localdate)
    due_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(PricedDocument.Meta):
        ordering = ["-invoice_date", "-number"]
        constraints = [
            *PricedDocument.Meta.constraints,
            FieldCheckConstraint(
                condition=models.Q(due_date__isnull=True)
                | models.Q(due_date__gte=models.F("invoice_date")),
                name="invoice_due_not_before_date",
                violation_error_message="Choose a due date on or after the invoice date.",
                violation_field="due_date",
            ),
        ]

    def __str__(self):
        return f"Invoice {self.number}"

    def clean(self):
        super().clean()
        _refuse_number_in_sales_series(self.number, SalesReturn, "Sales return")


class InvoiceLine(ProductLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")


class InvoiceTaxLine(TaxLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="tax_lines")

    class Meta(TaxLine.Meta):
        constraints = [
            *TaxLine.Meta.constraints,
            FieldUniqueConstraint(
                fields=["invoice", "tax"],
                name="invoicetaxline_unique_tax",
                violation_error_message=ONE_LINE_PER_TAX,
                violation_field="tax",
            ),
        ]


class InvoicePayment(QboSyncable):
    """Money received from a customer against an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    paid_on = models.DateField(default=timezone.localdate)
    method = models.CharField(
        max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.ACH
    )
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [PAYMENT_AMOUNT_IN_RANGE]

    def __str__(self):
        return f"Payment of {self.amount} on {self.invoice}"


class SalesReturn(QboSyncable, PricedDocument):
    """Goods a customer sent back; becomes a QBO credit memo."""

    side = Side.SALES
    numbering = DocumentNumbering.Kind.SALES_RETURN
    party_field = "customer"

    number = models.CharField(
        max_length=DOC_NUMBER_MAX, unique=True, blank=True, help_text=NUMBER_HELP
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="returns"
    )
    return_date = models.DateField(default=timezone.localdate)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(PricedDocument.Meta):
        ordering = ["-return_date", "-number"]

    def __str__(self):
        return f"Sales return {self.number}"

    def clean(self):
        super().clean()
        _refuse_number_in_sales_series(self.number, Invoice, "Invoice")


def _refuse_number_in_sales_series(number: str, holder_model, holder_label: str) -> None:
    # QBO numbers invoices and credit memos (our sales returns) in one series and refuses a
    # number twice (6140), so a return may not share an invoice's number, nor the reverse.
    if number and holder_model._default_manager.filter(number=number).exists():
        raise ValidationError(
            {
                "number": f"Choose another number: {holder_label} {number} already has it, and "
                "QuickBooks numbers invoices and returns (credit memos) in one series."
            }
        )


class SalesReturnLine(ProductLine):
    sales_return = models.ForeignKey(SalesReturn, on_delete=models.CASCADE, related_name="lines")
