"""factory-boy factories for every model."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from factory.django import DjangoModelFactory

from integrations.models import (
    PushAttempt,
    QboAccount,
    QboClass,
    QboConnection,
    QboItem,
    SyncJob,
    SyncRun,
)
from products.models import DocumentNumbering, Product
from purchases.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderTaxLine,
    PurchasePayment,
    PurchaseReturn,
    PurchaseReturnLine,
    Vendor,
)
from sales.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceTaxLine,
    SalesReturn,
    SalesReturnLine,
    Tax,
)


class QboAccountFactory(DjangoModelFactory):
    class Meta:
        model = QboAccount

    qbo_id = factory.Sequence(lambda n: str(100 + n))
    name = factory.Sequence(lambda n: f"Account {n}")
    fully_qualified_name = factory.SelfAttribute("name")
    account_type = QboAccount.AccountType.INCOME
    classification = QboAccount.Classification.REVENUE


class QboClassFactory(DjangoModelFactory):
    class Meta:
        model = QboClass

    qbo_id = factory.Sequence(lambda n: str(500 + n))
    name = factory.Sequence(lambda n: f"Class {n}")
    fully_qualified_name = factory.SelfAttribute("name")


class QboItemFactory(DjangoModelFactory):
    class Meta:
        model = QboItem

    qbo_id = factory.Sequence(lambda n: str(1000 + n))
    sync_token = "0"
    name = factory.Sequence(lambda n: f"QBO Item {n}")
    type = QboItem.Type.NON_INVENTORY
    origin = QboItem.Origin.QBO


class QboConnectionFactory(DjangoModelFactory):
    class Meta:
        model = QboConnection
        django_get_or_create = ["id"]

    id = QboConnection.SINGLETON_ID
    realm_id = "9341453050298375"
    company_name = "Green Valley Distribution"
    status = QboConnection.Status.CONNECTED
    access_token = "access-token-value"
    refresh_token = "refresh-token-value"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Blue Dream Flower 3.5g #{n}")
    sku = factory.Sequence(lambda n: f"FL-TST-{n:04d}")
    category = Product.Category.FLOWER
    unit_price = Decimal("25.00")
    unit_cost = Decimal("12.50")


class DocumentNumberingFactory(DjangoModelFactory):
    class Meta:
        model = DocumentNumbering
        django_get_or_create = ["kind"]

    kind = DocumentNumbering.Kind.INVOICE
    prefix = "INV-"


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Dispensary {n}")
    email = factory.Sequence(lambda n: f"buyer{n}@dispensary.example")


class VendorFactory(DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Cultivator {n}")


class TaxFactory(DjangoModelFactory):
    class Meta:
        model = Tax
        django_get_or_create = ["name"]

    name = "Excise Tax"
    rate = Decimal("15.0000")


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-T{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    invoice_date = date(2026, 11, 2)
    due_date = date(2026, 12, 2)


class InvoiceLineFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    product = factory.SubFactory(ProductFactory)
    description = factory.SelfAttribute("product.name")
    quantity = Decimal("10")
    unit_price = factory.SelfAttribute("product.unit_price")


class InvoiceTaxLineFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceTaxLine

    invoice = factory.SubFactory(InvoiceFactory)
    tax = factory.SubFactory(TaxFactory)


class InvoicePaymentFactory(DjangoModelFactory):
    class Meta:
        model = InvoicePayment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("100.00")
    paid_on = date(2026, 11, 10)


class SalesReturnFactory(DjangoModelFactory):
    class Meta:
        model = SalesReturn

    number = factory.Sequence(lambda n: f"RMA-T{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    return_date = date(2026, 11, 5)


class SalesReturnLineFactory(DjangoModelFactory):
    class Meta:
        model = SalesReturnLine

    sales_return = factory.SubFactory(SalesReturnFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    unit_price = factory.SelfAttribute("product.unit_price")


class PurchaseOrderFactory(DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    number = factory.Sequence(lambda n: f"PO-T{n:05d}")
    vendor = factory.SubFactory(VendorFactory)
    order_date = date(2026, 11, 1)
    due_date = date(2026, 12, 1)


class PurchaseOrderLineFactory(DjangoModelFactory):
    class Meta:
        model = PurchaseOrderLine

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("100")
    unit_price = factory.SelfAttribute("product.unit_cost")


class PurchaseOrderTaxLineFactory(DjangoModelFactory):
    class Meta:
        model = PurchaseOrderTaxLine

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    tax = factory.SubFactory(TaxFactory)


class PurchasePaymentFactory(DjangoModelFactory):
    class Meta:
        model = PurchasePayment

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    amount = Decimal("500.00")
    paid_on = date(2026, 11, 20)


class PurchaseReturnFactory(DjangoModelFactory):
    class Meta:
        model = PurchaseReturn

    number = factory.Sequence(lambda n: f"VRMA-T{n:05d}")
    vendor = factory.SubFactory(VendorFactory)
    return_date = date(2026, 11, 8)


class PurchaseReturnLineFactory(DjangoModelFactory):
    class Meta:
        model = PurchaseReturnLine

    purchase_return = factory.SubFactory(PurchaseReturnFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("5")
    unit_price = factory.SelfAttribute("product.unit_cost")


class SyncRunFactory(DjangoModelFactory):
    class Meta:
        model = SyncRun

    kind = SyncRun.Kind.CHANGES
    trigger = SyncRun.Trigger.HOURLY
    status = SyncRun.Status.SUCCEEDED
    message = "0 new, 0 updated, 0 removed"


class PushAttemptFactory(DjangoModelFactory):
    """A push attempt of `record` (any synced record)."""

    class Meta:
        model = PushAttempt
        exclude = ["record"]

    record = factory.SubFactory(CustomerFactory)
    content_type = factory.LazyAttribute(lambda o: ContentType.objects.get_for_model(o.record))
    object_id = factory.LazyAttribute(lambda o: str(o.record.pk))
    label = factory.LazyAttribute(lambda o: str(o.record))
    qbo_entity = "Customer"
    action = SyncJob.Action.UPSERT
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(seconds=1))
    outcome = PushAttempt.Outcome.SUCCEEDED
    request_id = factory.Sequence(lambda n: f"{n:032x}")


def product_form(product, **changes) -> dict:
    """What the product admin's change form posts for `product`, with `changes`."""
    return {
        "name": product.name,
        "sku": product.sku,
        "category": product.category,
        "description": "",
        "active": "on",
        "unit_price": "10.00",
        "unit_cost": "5.00",
        **changes,
    }
