"""Amounts that do not fit their columns are refused in the form, with a sentence, and by the
database (SQLite as PostgreSQL's numeric(14, 2) does); a document needs at least one line."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.urls import reverse

from products.models import MONEY_MAX
from purchases.models import PurchaseOrder, PurchaseReturn
from sales.models import Invoice, InvoiceLine, InvoicePayment, SalesReturn
from tests import factories

pytestmark = pytest.mark.django_db

HUGE_QUANTITY, HUGE_PRICE = "99999999999.999", "9999999999.9999"


def header(model) -> dict:
    """The document fields of a new `model`, as its admin form posts them."""
    if model in (Invoice, SalesReturn):
        party = {"customer": factories.CustomerFactory().pk}
    else:
        party = {"vendor": factories.VendorFactory().pk}
    dated = {
        Invoice: {"invoice_date": "2026-11-02", "notes": ""},
        SalesReturn: {"return_date": "2026-11-02", "reason": ""},
        PurchaseOrder: {"order_date": "2026-11-02", "status": "draft", "notes": ""},
        PurchaseReturn: {"return_date": "2026-11-02", "reason": ""},
    }[model]
    return {"number": "DOC-1", **party, **dated}


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def document_post(admin_client, model, lines, taxes=()):
    product = factories.ProductFactory()
    rows = [{"product": product.pk, "quantity": q, "unit_price": p} for q, p in lines]
    data = {**header(model), **inline("lines", rows)}
    if model in (Invoice, PurchaseOrder):
        data.update(inline("tax_lines", [{"tax": tax.pk} for tax in taxes]))
        data.update(inline("payments", []))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    return admin_client.post(url, data)


DOCUMENTS = [Invoice, SalesReturn, PurchaseOrder, PurchaseReturn]


@pytest.mark.parametrize("model", DOCUMENTS)
def test_a_line_whose_amount_overflows_is_refused_on_its_price(admin_client, model):
    response = document_post(admin_client, model, [(HUGE_QUANTITY, HUGE_PRICE)])

    assert response.status_code == 200
    line_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert line_form.errors["unit_price"] == [
        "Lower the quantity or the unit price: together they come to "
        "999,999,999,999,980,000,000.00, and a line holds 999,999,999,999.99 at most."
    ]
    assert not model.objects.exists()


PAST_THE_LIMIT = {
    # Two lines that each fit, adding up past the limit.
    "lines": (
        [("100", "6000000000")] * 2,
        [],
        "Split this document in two: its lines add up to 1,200,000,000,000.00, and a document "
        "holds 999,999,999,999.99 at most.",
    ),
    # A subtotal that fits, and a total with a 100% tax that does not.
    "taxes": (
        [("100", "6000000000")],
        ["100"],
        "Split this document in two or remove a tax: with its taxes it comes to "
        "1,200,000,000,000.00, and a document holds 999,999,999,999.99 at most.",
    ),
}


@pytest.mark.parametrize(
    ("model", "case"),
    [*((model, "lines") for model in DOCUMENTS), (Invoice, "taxes"), (PurchaseOrder, "taxes")],
)
def test_a_document_adding_up_past_the_limit_is_refused_on_its_lines(admin_client, model, case):
    lines, rates, message = PAST_THE_LIMIT[case]
    taxes = [factories.TaxFactory(name=f"Tax {n}", rate=rate) for n, rate in enumerate(rates)]

    response = document_post(admin_client, model, lines, taxes=taxes)

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [message]
    assert not model.objects.exists()


@pytest.mark.parametrize("model", [Invoice, PurchaseOrder])
def test_the_largest_document_that_fits_is_saved_with_its_taxes(admin_client, model):
    taxes = [factories.TaxFactory(name="Excise Tax", rate="100")]

    response = document_post(admin_client, model, [("100", "4999999999.9999")], taxes=taxes)

    assert response.status_code == 302, response.content.decode()[:3000]
    document = model.objects.get()
    assert (document.subtotal, document.tax_total, document.total) == (
        Decimal("499999999999.99"),
        Decimal("499999999999.99"),
        Decimal("999999999999.98"),
    )


@pytest.mark.parametrize("model", DOCUMENTS)
def test_a_document_without_lines_is_refused(admin_client, model):
    response = document_post(admin_client, model, [])

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "Add at least one line: a document needs a product, a quantity and a price."
    ]
    assert not model.objects.exists()


def test_deleting_the_last_line_of_an_invoice_is_refused(admin_client):
    line = factories.InvoiceLineFactory()
    invoice = line.invoice
    data = {
        "number": invoice.number,
        "customer": invoice.customer_id,
        "invoice_date": "2026-11-02",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-id": line.pk,
        "lines-0-invoice": invoice.pk,
        "lines-0-product": line.product_id,
        "lines-0-quantity": "1",
        "lines-0-unit_price": "1",
        "lines-0-DELETE": "on",
        **inline("tax_lines", []),
        **inline("payments", []),
    }

    response = admin_client.post(reverse("admin:sales_invoice_change", args=[invoice.pk]), data)

    assert response.status_code == 200
    assert InvoiceLine.objects.filter(pk=line.pk).exists()


def test_a_payment_too_big_for_its_column_is_a_form_error(admin_client):
    invoice = factories.InvoiceFactory()

    response = admin_client.post(
        reverse("admin:sales_invoicepayment_add"),
        {
            "invoice": invoice.pk,
            "amount": "1000000000000",
            "paid_on": "2026-11-02",
            "method": "ach",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"]
    assert not InvoicePayment.objects.exists()


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (factories.InvoiceLineFactory, "amount"),
        (factories.InvoiceFactory, "total"),
        (factories.PurchaseOrderTaxLineFactory, "taxable_amount"),
        (factories.PurchasePaymentFactory, "amount"),
    ],
)
def test_the_database_refuses_an_amount_past_its_column_on_sqlite_too(factory, field):
    row = factory()

    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(**{field: MONEY_MAX + Decimal("0.01")})


def test_a_check_constraint_says_what_to_do_not_that_it_is_violated():
    line = InvoiceLine(quantity=Decimal("1"), unit_price=Decimal("1"), amount=Decimal("1e13"))

    with pytest.raises(ValidationError) as caught:
        line.validate_constraints()

    assert caught.value.messages == [
        "Lower the quantity or the unit price: a line's amount may be 999,999,999,999.99 at most."
    ]


def test_every_check_constraint_of_the_documents_has_its_own_sentence():
    default = models.CheckConstraint.default_violation_error_message
    for app_label in ("sales", "purchases"):
        for model in apps.get_app_config(app_label).get_models():
            for constraint in model._meta.constraints:
                if isinstance(constraint, models.CheckConstraint):
                    assert constraint.violation_error_message != default, constraint.name


def test_a_due_date_before_the_invoice_date_is_refused_with_a_sentence_on_the_due_date(
    admin_client,
):
    data = {**header(Invoice), "due_date": "2026-11-01"}
    product = factories.ProductFactory()
    data.update(inline("lines", [{"product": product.pk, "quantity": "1", "unit_price": "1"}]))
    data.update(inline("tax_lines", []), **inline("payments", []))

    response = admin_client.post(reverse("admin:sales_invoice_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "due_date": ["Choose a due date on or after the invoice date."]
    }
