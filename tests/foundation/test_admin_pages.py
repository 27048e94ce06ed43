"""Every model's admin changelist, add and change pages render for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

# (model admin key, factory that makes one row of it)
ADMIN_MODELS = [
    ("integrations.qboaccount", factories.QboAccountFactory),
    ("integrations.qboclass", factories.QboClassFactory),
    ("integrations.qboitem", factories.QboItemFactory),
    ("integrations.qboconnection", factories.QboConnectionFactory),
    ("integrations.syncrun", factories.SyncRunFactory),
    ("integrations.pushattempt", factories.PushAttemptFactory),
    ("products.product", factories.ProductFactory),
    ("products.documentnumbering", factories.DocumentNumberingFactory),
    ("sales.customer", factories.CustomerFactory),
    ("sales.tax", factories.TaxFactory),
    ("sales.invoice", factories.InvoiceFactory),
    ("sales.invoicepayment", factories.InvoicePaymentFactory),
    ("sales.salesreturn", factories.SalesReturnFactory),
    ("purchases.vendor", factories.VendorFactory),
    ("purchases.purchaseorder", factories.PurchaseOrderFactory),
    ("purchases.purchasepayment", factories.PurchasePaymentFactory),
    ("purchases.purchasereturn", factories.PurchaseReturnFactory),
]


def _url(key: str, view: str, *args) -> str:
    app_label, model_name = key.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def test_every_registered_domain_model_is_covered():
    """The list above covers every model of our apps that has an admin page."""
    ours = {"integrations", "products", "sales", "purchases"}
    registered = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label in ours
    }
    assert registered == {key for key, _ in ADMIN_MODELS}


@pytest.mark.parametrize(("key", "factory"), ADMIN_MODELS)
def test_changelist_renders_with_a_row_and_a_search(admin_client, key, factory):
    obj = factory()
    response = admin_client.get(_url(key, "changelist"))
    assert response.status_code == 200
    # The row links to the object's page (read-only mirrors have no action checkbox to name it).
    assert f'href="{_url(key, "change", obj.pk)}"' in response.content.decode()
    assert admin_client.get(_url(key, "changelist"), {"q": "x"}).status_code == 200


@pytest.mark.parametrize(("key", "factory"), ADMIN_MODELS)
def test_change_page_renders(admin_client, key, factory):
    obj = factory()
    assert admin_client.get(_url(key, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(("key", "factory"), ADMIN_MODELS)
def test_add_page_renders_unless_rows_come_from_quickbooks(admin_client, key, factory):
    response = admin_client.get(_url(key, "add"))
    # The connection is made by connecting; accounts and classes are created in QuickBooks;
    # the sync history is written by the sync; each kind of document has its numbering.
    made_elsewhere = {
        "products.documentnumbering",
        "integrations.qboconnection",
        "integrations.qboaccount",
        "integrations.qboclass",
        "integrations.syncrun",
        "integrations.pushattempt",
    }
    expected = 403 if key in made_elsewhere else 200
    assert response.status_code == expected


def test_django_q_admin_pages_are_visible(admin_client):
    for name in ["schedule", "success", "failure", "ormq"]:
        assert admin_client.get(reverse(f"admin:django_q_{name}_changelist")).status_code == 200


def test_saving_an_invoice_with_lines_and_excise_in_the_admin_computes_totals(admin_client):
    customer = factories.CustomerFactory()
    product = factories.ProductFactory(unit_price="19.99")
    tax = factories.TaxFactory(rate="15")
    data = {
        "number": "INV-9001",
        "customer": customer.pk,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-description": "Flower",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "19.99",
        "tax_lines-TOTAL_FORMS": "1",
        "tax_lines-INITIAL_FORMS": "0",
        "tax_lines-0-tax": tax.pk,
        "payments-TOTAL_FORMS": "0",
        "payments-INITIAL_FORMS": "0",
    }
    response = admin_client.post(reverse("admin:sales_invoice_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    from sales.models import Invoice

    invoice = Invoice.objects.get(number="INV-9001")
    assert str(invoice.lines.get().amount) == "59.97"
    assert str(invoice.tax_lines.get().amount) == "9.00"  # 8.9955 rounds half-up
    assert (str(invoice.subtotal), str(invoice.tax_total), str(invoice.total)) == (
        "59.97",
        "9.00",
        "68.97",
    )
