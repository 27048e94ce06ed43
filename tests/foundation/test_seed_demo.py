import pytest
from django.core.management import call_command

from products.models import Product
from purchases.models import PurchaseOrder, PurchasePayment, PurchaseReturn, Vendor
from sales.models import Customer, Invoice, InvoicePayment, SalesReturn, Tax

pytestmark = pytest.mark.django_db

MODELS = [
    Product,
    Customer,
    Vendor,
    Tax,
    Invoice,
    InvoicePayment,
    SalesReturn,
    PurchaseOrder,
    PurchasePayment,
    PurchaseReturn,
]


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_makes_a_realistic_distributor_and_a_second_run_adds_nothing():
    call_command("seed_demo")
    first = _counts()
    assert first["Product"] == 50
    assert first["Customer"] == 15 and first["Vendor"] == 8
    assert first["Invoice"] == 40 and first["InvoicePayment"] > 0
    assert first["PurchaseOrder"] == 15
    assert PurchaseOrder.objects.filter(status=PurchaseOrder.Status.COMPLETED).count() >= 5
    assert first["PurchasePayment"] > 0
    assert first["SalesReturn"] + first["PurchaseReturn"] >= 3
    assert Tax.objects.filter(name="Excise Tax").exists()
    assert set(Product.objects.values_list("category", flat=True)) >= {
        "flower",
        "pre_roll",
        "vape",
        "edible",
    }

    snapshot = list(Invoice.objects.order_by("number").values_list("number", "total"))
    call_command("seed_demo")
    assert _counts() == first
    assert list(Invoice.objects.order_by("number").values_list("number", "total")) == snapshot


def test_seeded_invoices_carry_excise_and_add_up():
    call_command("seed_demo")
    for invoice in Invoice.objects.prefetch_related("lines", "tax_lines"):
        assert invoice.subtotal == sum(line.amount for line in invoice.lines.all())
        assert invoice.tax_lines.count() == 1
        assert invoice.total == invoice.subtotal + invoice.tax_total > 0


def test_demo_superuser_is_refused_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("create_demo_superuser")
