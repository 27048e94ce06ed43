from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from distru_qbo.constraints import FieldCheckConstraint
from integrations.models import QboItem

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
# Line unit prices keep sub-cent precision (per-gram pricing); every amount is in whole cents.
UNIT_PRICE = {"max_digits": 14, "decimal_places": 4}


def largest(digits: dict) -> Decimal:
    """The largest value a column of these digits holds, as PostgreSQL's numeric(p, s) does."""
    places = digits["decimal_places"]
    return Decimal(10) ** (digits["max_digits"] - places) - Decimal(10) ** -places


MONEY_MAX = largest(MONEY)
# QBO's DocNumber holds 21 characters at most (Intuit's schema, Finance.xsd, Transaction).
DOC_NUMBER_MAX = 21
NUMBER_HELP = "Leave empty for the next number (set under Products → Document numbering)."


def within_column(field: str, digits: dict, message: str) -> models.CheckConstraint:
    """A CHECK that SQLite refuses what PostgreSQL's numeric column refuses, with a sentence
    on the field.

    `message` may name the limit as {limit}; the constraint's name follows its model.
    """
    limit = largest(digits)
    return FieldCheckConstraint(
        condition=models.Q(**{f"{field}__gte": -limit, f"{field}__lte": limit}),
        name=f"%(app_label)s_%(class)s_{field}_in_range",
        violation_error_message=message.format(limit=f"{limit:,}"),
        violation_field=field,
    )


class Side(models.TextChoices):
    """Which side of the business a document is on: its lines' default prices and taxes."""

    SALES = "sales", "Sales"
    PURCHASES = "purchases", "Purchases"


class Product(models.Model):
    """A sellable, purchasable catalog product, mapped to one Sales and one Purchase QBO item."""

    class Category(models.TextChoices):
        FLOWER = "flower", "Flower"
        PRE_ROLL = "pre_roll", "Pre-rolls"
        VAPE = "vape", "Vapes"
        EDIBLE = "edible", "Edibles"
        CONCENTRATE = "concentrate", "Concentrates"
        TOPICAL = "topical", "Topicals"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64, unique=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    # As precise as a line's unit price, which these fill (per-gram pricing).
    unit_price = models.DecimalField(
        "default sale price",
        **UNIT_PRICE,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Fills the unit price of a new invoice or sales return line.",
    )
    unit_cost = models.DecimalField(
        "default purchase cost",
        **UNIT_PRICE,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Fills the unit price of a new purchase order or purchase return line.",
    )
    active = models.BooleanField(default=True)
    # PROTECT: a mapped item cannot vanish under a product; the sync unmaps before it deletes.
    sales_qbo_item = models.ForeignKey(
        QboItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_products",
        verbose_name="Sales item",
    )
    purchase_qbo_item = models.ForeignKey(
        QboItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase_products",
        verbose_name="Purchase item",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def default_price(self, side: Side) -> Decimal:
        """The unit price a new line takes on a document of `side`: the sale price or the cost."""
        return self.unit_price if side == Side.SALES else self.unit_cost


class DocumentNumbering(models.Model):
    """How documents of one kind are numbered when their number is left empty: a prefix, then
    the next number. One row per kind, edited in the admin (Products → Document numbering)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoices"
        SALES_RETURN = "sales_return", "Sales returns"
        PURCHASE_ORDER = "purchase_order", "Purchase orders"
        PURCHASE_RETURN = "purchase_return", "Purchase returns"

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, blank=True, help_text="Written before the number, such as INV-."
    )
    next_number = models.PositiveIntegerField(
        default=1001,
        validators=[MinValueValidator(1)],
        help_text=(
            "The number the next document left without one takes; one already in use is skipped."
        ),
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = verbose_name_plural = "document numbering"

    def __str__(self):
        return self.get_kind_display()

    def clean(self):
        number = self.number(self.next_number)
        if len(number) > DOC_NUMBER_MAX:
            raise ValidationError(
                f"Shorten the prefix or lower the next number: {number} has {len(number)} "
                f"characters, and QuickBooks keeps {DOC_NUMBER_MAX} at most."
            )

    def number(self, value: int) -> str:
        return f"{self.prefix}{value}"


class PricedDocument(models.Model):
    """A document whose lines (and tax lines, if any) add up to stored totals.

    `products.services.priced_document_recalculate` keeps the totals in step with the lines.
    """

    side: Side
    party_field: str  # the customer or the vendor
    numbering: DocumentNumbering.Kind
    lines_relation = "lines"
    tax_lines_relation: str | None = None
    # The payments applied to the document (each with an `amount`); None where nothing pays it.
    payments_relation: str | None = None

    subtotal = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    tax_total = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    total = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)

    class Meta:
        abstract = True
        constraints = [
            within_column(
                "subtotal", MONEY, "Split the document: its lines may add up to {limit} at most."
            ),
            within_column(
                "tax_total", MONEY, "Split the document: its taxes may add up to {limit} at most."
            ),
            within_column("total", MONEY, "Split the document: its total may be {limit} at most."),
        ]


class ProductLine(models.Model):
    """A line of a document: a product, a quantity at a unit price, and the amount they make."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(
        **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit_price = models.DecimalField(**UNIT_PRICE, validators=[MinValueValidator(Decimal("0"))])
    amount = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)

    class Meta:
        abstract = True
        ordering = ["id"]
        constraints = [
            within_column("quantity", QUANTITY, "Enter a quantity of {limit} at most."),
            within_column("unit_price", UNIT_PRICE, "Enter a unit price of {limit} at most."),
            within_column(
                "amount",
                MONEY,
                "Lower the quantity or the unit price: a line's amount may be {limit} at most.",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product} @ {self.unit_price}"
