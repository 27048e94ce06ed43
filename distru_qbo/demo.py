"""Deterministic demo data for a cannabis distributor: same rows every run, nothing doubled.

Every row is keyed by its natural key (SKU, name, document number, payment reference), so a
second run finds what the first made and adds nothing.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from distru_qbo.money import round_cents
from products.models import Product
from products.services import priced_document_recalculate
from purchases.models import PurchaseOrder, PurchasePayment, PurchaseReturn, Vendor
from sales.models import Customer, Invoice, InvoicePayment, SalesReturn, Tax

# A fixed anchor keeps the data identical from one day to the next.
ANCHOR = date(2026, 11, 2)
EXCISE_RATE = Decimal("15.0000")

BRANDS = ["Emerald Peak", "Sunset Farms", "Coastal Kind", "High Desert", "Redwood Roots"]
STRAINS = [
    "Blue Dream",
    "OG Kush",
    "Gelato",
    "Sour Diesel",
    "Wedding Cake",
    "Granddaddy Purple",
    "Jack Herer",
    "Pineapple Express",
    "GSC",
    "Zkittlez",
]
# (category, SKU prefix, name pattern, unit cost range in dollars, markup)
PRODUCT_LINES = [
    (Product.Category.FLOWER, "FL", "{brand} {strain} Flower 3.5g", (9, 16), Decimal("1.8")),
    (Product.Category.PRE_ROLL, "PR", "{brand} {strain} Pre-Roll 1g", (2, 5), Decimal("2.0")),
    (Product.Category.VAPE, "VP", "{brand} {strain} Vape Cart 0.5g", (10, 18), Decimal("1.9")),
    (Product.Category.EDIBLE, "ED", "{brand} {strain} Gummies 100mg", (5, 9), Decimal("2.1")),
    (
        Product.Category.CONCENTRATE,
        "CN",
        "{brand} {strain} Live Resin 1g",
        (14, 22),
        Decimal("1.7"),
    ),
]
CUSTOMERS = [
    "Green Door Dispensary",
    "Mission Organic",
    "The Healing Center",
    "Harborside Collective",
    "Sunset Wellness",
    "Barbary Coast",
    "Urbana Cannabis",
    "Blüm Oakland",
    "Magnolia Wellness",
    "Berkeley Patients Group",
    "Flor de Mayo",
    "Purple Star MD",
    "Kiva Lounge",
    "Elevate SF",
    "Canna Cruz",
]
VENDORS = [
    "Humboldt Family Farms",
    "Emerald Triangle Growers",
    "Salinas Valley Cultivation",
    "Mendocino Sungrown",
    "Lake County Craft",
    "Bay Extracts Manufacturing",
    "Kind Kitchen Edibles",
    "Coastal Cartridge Co.",
]


@dataclass
class DemoSeedResult:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, label: str, created: bool) -> None:
        self.created[label] = self.created.get(label, 0) + int(created)


def _money(value) -> Decimal:
    return round_cents(Decimal(str(value)))


@transaction.atomic
def demo_seed() -> DemoSeedResult:
    """Create the demo catalog, customers, vendors, documents and payments that are missing."""
    rng = random.Random(20261102)  # noqa: S311 - demo data, not security
    result = DemoSeedResult()

    excise, created = Tax.objects.get_or_create(name="Excise Tax", defaults={"rate": EXCISE_RATE})
    result.count("taxes", created)

    products = _seed_products(rng, result)
    customers = [_party(Customer, name, i, result, "customers") for i, name in enumerate(CUSTOMERS)]
    vendors = [_party(Vendor, name, i, result, "vendors") for i, name in enumerate(VENDORS)]

    for n in range(40):
        invoice_date = ANCHOR - timedelta(days=2 * (40 - n))
        invoice, created = Invoice.objects.get_or_create(
            number=f"INV-{1001 + n}",
            defaults={
                "customer": customers[n % len(customers)],
                "invoice_date": invoice_date,
                "due_date": invoice_date + timedelta(days=30),
            },
        )
        result.count("invoices", created)
        picks = rng.sample(products, rng.randint(2, 5))
        quantities = [rng.choice([6, 12, 24, 48]) for _ in picks]
        if created:
            invoice.lines.bulk_create(
                [
                    invoice.lines.model(
                        invoice=invoice,
                        product=p,
                        description=p.name,
                        quantity=Decimal(q),
                        unit_price=p.unit_price,
                    )
                    for p, q in zip(picks, quantities, strict=True)
                ]
            )
            invoice.tax_lines.create(tax=excise)
            priced_document_recalculate(document=invoice)
        if n % 3 == 0:
            _, created = InvoicePayment.objects.get_or_create(
                reference=f"ACH-{invoice.number}",
                defaults={
                    "invoice": invoice,
                    "amount": invoice.total,
                    "paid_on": invoice.invoice_date + timedelta(days=14),
                },
            )
            result.count("invoice payments", created)

    statuses = (
        [PurchaseOrder.Status.COMPLETED] * 8
        + [PurchaseOrder.Status.SUBMITTED] * 4
        + [PurchaseOrder.Status.DRAFT] * 2
        + [PurchaseOrder.Status.CANCELLED]
    )
    for n, status in enumerate(statuses):
        order_date = ANCHOR - timedelta(days=5 * (len(statuses) - n))
        vendor = vendors[n % len(vendors)]
        order, created = PurchaseOrder.objects.get_or_create(
            number=f"PO-{501 + n}",
            defaults={
                "vendor": vendor,
                "order_date": order_date,
                "due_date": order_date + timedelta(days=30),
                "status": status,
            },
        )
        result.count("purchase orders", created)
        picks = rng.sample(products, rng.randint(2, 4))
        quantities = [rng.choice([50, 100, 200]) for _ in picks]
        if created:
            order.lines.bulk_create(
                [
                    order.lines.model(
                        purchase_order=order,
                        product=p,
                        description=p.name,
                        quantity=Decimal(q),
                        unit_price=p.unit_cost,
                    )
                    for p, q in zip(picks, quantities, strict=True)
                ]
            )
            priced_document_recalculate(document=order)
        if status == PurchaseOrder.Status.COMPLETED and n % 2 == 0:
            _, created = PurchasePayment.objects.get_or_create(
                reference=f"CHK-{order.number}",
                defaults={
                    "purchase_order": order,
                    "amount": order.total,
                    "paid_on": order.order_date + timedelta(days=20),
                },
            )
            result.count("purchase payments", created)

    _seed_returns(result)
    return result


def _seed_products(rng: random.Random, result: DemoSeedResult) -> list[Product]:
    products = []
    for category, prefix, pattern, (low, high), markup in PRODUCT_LINES:
        for i in range(10):
            brand = BRANDS[i % len(BRANDS)]
            strain = STRAINS[i]
            cost = _money(rng.randint(low * 100, high * 100) / 100)
            product, created = Product.objects.get_or_create(
                sku=f"{prefix}-{brand[:3].upper()}-{100 + i}",
                defaults={
                    "name": pattern.format(brand=brand, strain=strain),
                    "category": category,
                    "description": f"{strain} by {brand}.",
                    "unit_cost": cost,
                    "unit_price": _money(cost * markup),
                },
            )
            result.count("products", created)
            products.append(product)
    return products


def _party(model, name: str, index: int, result: DemoSeedResult, label: str):
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
    license_prefix = 11 if model is Customer else 12  # retailer vs. distributor-side licences
    party, created = model.objects.get_or_create(
        name=name,
        defaults={
            "license_number": f"C{license_prefix}-{1000000 + index * 7919:07d}-LIC",
            "email": f"accounts@{slug}.example",
            "phone": f"(510) 555-{1000 + index:04d}",
        },
    )
    result.count(label, created)
    return party


def _seed_returns(result: DemoSeedResult) -> None:
    for n, invoice_number in enumerate(["INV-1004", "INV-1017", "INV-1030"]):
        invoice = Invoice.objects.get(number=invoice_number)
        line = invoice.lines.order_by("id").first()
        sales_return, created = SalesReturn.objects.get_or_create(
            number=f"RMA-{201 + n}",
            defaults={
                "customer": invoice.customer,
                "invoice": invoice,
                "return_date": invoice.invoice_date + timedelta(days=7),
                "reason": "Damaged packaging on arrival.",
            },
        )
        result.count("sales returns", created)
        if created:
            sales_return.lines.create(
                product=line.product,
                description=line.description,
                quantity=Decimal(2),
                unit_price=line.unit_price,
            )
            priced_document_recalculate(document=sales_return)

    for n, order_number in enumerate(["PO-501", "PO-506"]):
        order = PurchaseOrder.objects.get(number=order_number)
        line = order.lines.order_by("id").first()
        purchase_return, created = PurchaseReturn.objects.get_or_create(
            number=f"VRMA-{301 + n}",
            defaults={
                "vendor": order.vendor,
                "purchase_order": order,
                "return_date": order.order_date + timedelta(days=10),
                "reason": "Failed lab testing (pesticides).",
            },
        )
        result.count("purchase returns", created)
        if created:
            purchase_return.lines.create(
                product=line.product,
                description=line.description,
                quantity=Decimal(10),
                unit_price=line.unit_price,
            )
            priced_document_recalculate(document=purchase_return)
