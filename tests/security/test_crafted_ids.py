"""Ids and dates crafted beyond any column's range get a clear refusal, never a 500.

SQLite raised OverflowError for an integer wider than 64 bits in an `__in` lookup (the
admin's autocomplete redrawing a refused choice, an action's selected rows, `in_bulk`), and
the admin's date hierarchy overflowed past year 9999. Each case runs on SQLite and PostgreSQL.
"""

import pytest
from django.urls import reverse

from integrations.models import QboConnection, SyncJob
from products.models import Product
from sales.models import Invoice, InvoicePayment, Tax
from tests import factories

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def rows(db):
    connection = factories.QboConnectionFactory()
    return {
        "connection": connection,
        "product": factories.ProductFactory(name="Blue Dream 3.5g", sku="BD-35"),
        "tax": factories.TaxFactory(name="Excise Tax"),
        "invoice": factories.InvoiceFactory(),
    }


def test_a_huge_item_id_on_the_product_form_is_a_form_error(admin_client, rows):
    product = rows["product"]
    url = reverse("admin:products_product_change", args=[product.pk])

    response = admin_client.post(url, factories.product_form(product, sales_qbo_item=HUGE))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Product.objects.get(pk=product.pk).sales_qbo_item is None


def test_a_huge_account_id_on_the_tax_admin_is_a_form_error(admin_client, rows):
    tax = rows["tax"]
    url = reverse("admin:sales_tax_change", args=[tax.pk])

    response = admin_client.post(
        url,
        {"name": tax.name, "rate": "15", "applies_to": "none", "qbo_account": HUGE, "active": "on"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Tax.objects.get(pk=tax.pk).qbo_account is None


def test_a_huge_invoice_id_on_a_payment_is_a_form_error(admin_client, rows):
    response = admin_client.post(
        reverse("admin:sales_invoicepayment_add"),
        {"invoice": HUGE, "amount": "10.00", "paid_on": "2026-11-02", "method": "ach"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not InvoicePayment.objects.exists()


def test_a_huge_key_account_id_is_a_form_error(admin_client, rows):
    response = admin_client.post(
        reverse("integrations:key_accounts"), {"default_income_account": HUGE}
    )

    assert response.status_code == 200
    assert "Refresh accounts from QuickBooks and choose again" in response.content.decode()
    assert QboConnection.objects.get().default_income_account is None


def test_a_huge_tax_account_id_is_a_form_error(admin_client, rows):
    tax = rows["tax"]

    response = admin_client.post(reverse("sales:taxes"), {f"tax_{tax.pk}": HUGE})

    assert response.status_code == 200
    assert "Refresh the accounts from QuickBooks and choose again" in response.content.decode()
    assert Tax.objects.get(pk=tax.pk).qbo_account is None


@pytest.mark.parametrize("job", [HUGE, "abc", "-1"])
def test_retry_with_a_job_that_is_not_in_the_outbox_is_refused_and_retries_nothing(
    admin_client, rows, job
):
    failed = SyncJob.objects.create(
        content_type_id=1, object_id="1", label="Invoice INV-1", qbo_entity="Invoice",
        request_id="r-1", status=SyncJob.Status.FAILED,
    )  # fmt: skip

    response = admin_client.post(reverse("integrations:outbox_retry"), {"job": job})

    assert response.status_code == 400
    assert response.content.decode().startswith("Reload the QuickBooks page")
    failed.refresh_from_db()
    assert failed.status == SyncJob.Status.FAILED


def test_bulk_mapping_with_huge_ids_redraws_the_form_with_an_error(admin_client, rows):
    response = admin_client.post(
        reverse("admin:products_product_changelist"),
        {
            "action": "bulk_update_qbo_items",
            "_selected_action": [str(rows["product"].pk), HUGE],
            "post": "yes",
            "sales_qbo_item": HUGE,
        },
    )

    assert response.status_code == 200
    assert "this one is no longer in QuickBooks" in response.content.decode()
    assert Product.objects.get().sales_qbo_item is None


def test_an_action_on_a_huge_id_finds_nothing_to_act_on(admin_client, rows):
    response = admin_client.post(
        reverse("admin:sales_invoice_changelist"),
        {"action": "delete_selected", "_selected_action": [HUGE], "post": "yes"},
    )

    assert response.status_code == 302
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    [f"invoice_date__year={HUGE}", "invoice_date__year=9999", "invoice_date__year=9999&"
     "invoice_date__month=12"],
)  # fmt: skip
def test_a_date_hierarchy_link_past_year_9999_redirects_instead_of_failing(admin_client, query):
    factories.InvoiceFactory(invoice_date="9999-12-31", due_date=None)

    response = admin_client.get(f"{reverse('admin:sales_invoice_changelist')}?{query}")

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    assert admin_client.get(reverse("admin:sales_invoice_changelist")).status_code == 200


@pytest.mark.parametrize("query", [f"customer={HUGE}", f"customer__in={HUGE}", f"id__in={HUGE}"])
def test_a_changelist_filtered_on_a_huge_id_lists_nothing(admin_client, rows, query):
    response = admin_client.get(f"{reverse('admin:sales_invoice_changelist')}?{query}")

    assert response.status_code in (200, 302)
    assert str(rows["invoice"]) not in response.content.decode()
