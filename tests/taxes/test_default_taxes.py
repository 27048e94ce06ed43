"""A tax applies by default to sales, purchases, both or neither: a new invoice or purchase
order comes with its row filled in, charged unless the customer or vendor is tax-exempt;
documents already saved are not changed."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from purchases.models import PurchaseOrder
from sales.models import Invoice, Tax
from tests import factories
from tests.foundation.test_amount_limits import header, inline

pytestmark = pytest.mark.django_db
AppliesTo = Tax.AppliesTo


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def prefilled_taxes(client, model) -> list:
    """The taxes the add page's tax rows come filled in with."""
    formset = next(
        formset
        for formset in client.get(add_url(model)).context["inline_admin_formsets"]
        if formset.formset.prefix == "tax_lines"
    ).formset
    return [form.initial.get("tax") for form in formset.forms]


def save_as_the_page_came(client, model, *, party=None, extra_taxes=()):
    """Post the add form with one line and the tax rows as the page filled them in."""
    taxes = [*prefilled_taxes(client, model), *(tax.pk for tax in extra_taxes)]
    product = factories.ProductFactory(unit_price=Decimal("20"), unit_cost=Decimal("20"))
    data = {**header(model), "number": ""}
    if party is not None:
        data[model.party_field] = party.pk
    data.update(inline("lines", [{"product": product.pk, "quantity": "5", "unit_price": ""}]))
    data.update({**inline("tax_lines", [{"tax": pk} for pk in taxes]), **inline("payments", [])})
    return client.post(add_url(model), data)


@pytest.mark.parametrize(
    "applies_to, on_invoices, on_orders",
    [(AppliesTo.SALES, True, False), (AppliesTo.PURCHASES, False, True),
     (AppliesTo.BOTH, True, True), (AppliesTo.NEITHER, False, False)],
)  # fmt: skip
def test_a_new_document_comes_with_the_taxes_that_apply_to_its_side(
    admin_client, applies_to, on_invoices, on_orders
):
    excise = factories.TaxFactory(rate=Decimal("15"), applies_to=applies_to)

    assert prefilled_taxes(admin_client, Invoice) == ([excise.pk] if on_invoices else [])
    assert prefilled_taxes(admin_client, PurchaseOrder) == ([excise.pk] if on_orders else [])


def test_the_tax_filled_in_is_charged_without_a_click(admin_client):
    factories.TaxFactory(rate=Decimal("15"), applies_to=AppliesTo.SALES)

    response = save_as_the_page_came(admin_client, Invoice)

    assert response.status_code == 302, response.content.decode()
    invoice = Invoice.objects.get()
    assert [(line.tax.name, line.amount) for line in invoice.tax_lines.all()] == [
        ("Excise Tax", Decimal("15.00"))
    ]
    assert invoice.total == Decimal("115.00")


def test_an_inactive_tax_is_not_filled_in(admin_client):
    factories.TaxFactory(applies_to=AppliesTo.BOTH, active=False)

    assert prefilled_taxes(admin_client, Invoice) == []


@pytest.mark.parametrize("model", [Invoice, PurchaseOrder])
def test_a_tax_exempt_customer_or_vendor_is_not_charged_and_the_page_says_so(admin_client, model):
    factories.TaxFactory(applies_to=AppliesTo.BOTH)
    party_factory = factories.CustomerFactory if model is Invoice else factories.VendorFactory
    party = party_factory(name="Medical Collective", tax_exempt=True)

    response = save_as_the_page_came(admin_client, model, party=party)

    document = model.objects.get()
    assert not document.tax_lines.exists()
    assert document.total == Decimal("100.00")
    assert "Excise Tax not charged: Medical Collective is tax-exempt." in [
        str(message) for message in get_messages(response.wsgi_request)
    ]


def test_a_tax_added_by_hand_is_charged_to_an_exempt_customer_too(admin_client):
    factories.TaxFactory(applies_to=AppliesTo.SALES)
    cultivation = factories.TaxFactory(name="Cultivation Tax", rate=Decimal("10"))
    customer = factories.CustomerFactory(tax_exempt=True)

    save_as_the_page_came(admin_client, Invoice, party=customer, extra_taxes=[cultivation])

    assert [line.tax for line in Invoice.objects.get().tax_lines.all()] == [cultivation]


def test_a_default_tax_removed_or_emptied_before_saving_is_not_charged(admin_client):
    excise = factories.TaxFactory(applies_to=AppliesTo.SALES)
    product = factories.ProductFactory()
    lines = inline("lines", [{"product": product.pk, "quantity": "1", "unit_price": "10"}])
    emptied = {**header(Invoice), **lines, **inline("payments", [])}
    emptied.update(inline("tax_lines", [{"tax": ""}]))

    response = admin_client.post(add_url(Invoice), emptied)

    assert response.status_code == 302, response.content.decode()
    assert not Invoice.objects.get().tax_lines.exists()
    assert prefilled_taxes(admin_client, Invoice) == [excise.pk]


def test_documents_already_saved_are_not_changed(admin_client):
    invoice = factories.InvoiceLineFactory().invoice
    factories.TaxFactory(applies_to=AppliesTo.BOTH)
    url = reverse("admin:sales_invoice_change", args=[invoice.pk])

    formsets = admin_client.get(url).context["inline_admin_formsets"]
    tax_rows = next(f.formset for f in formsets if f.formset.prefix == "tax_lines")
    assert [form.initial for form in tax_rows.forms] == []

    line = invoice.lines.get()
    data = {**header(Invoice), "customer": invoice.customer.pk, "number": invoice.number}
    data.update({**inline("tax_lines", []), **inline("payments", [])})
    data.update({"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-id": line.pk,
                 "lines-0-invoice": invoice.pk, "lines-0-product": line.product.pk,
                 "lines-0-quantity": "3", "lines-0-unit_price": "10"})  # fmt: skip
    assert admin_client.post(url, data).status_code == 302
    assert not invoice.tax_lines.exists()


def test_the_tax_page_sets_where_a_tax_applies(admin_client):
    tax = factories.TaxFactory()
    url = reverse("admin:sales_tax_change", args=[tax.pk])

    admin_client.post(url, {"name": tax.name, "rate": "15", "applies_to": "sales", "active": "on"})

    tax.refresh_from_db()
    assert tax.applies_to == AppliesTo.SALES
