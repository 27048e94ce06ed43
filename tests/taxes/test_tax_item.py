"""A tax travels on invoices as its own QBO item, linked by key: it never takes over another
item that happens to share its name."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from integrations.models import QboAccount, QboItem, SyncJob
from products.services import priced_document_recalculate
from sales.models import Tax
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def push(django_capture_on_commit_callbacks):
    """Run the block's on-commit hooks, so jobs are enqueued (and, in tests, run) at once."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def excise(synced):
    return factories.TaxFactory(
        rate=Decimal("15"), qbo_account=QboAccount.objects.get(name="Excise Tax Payable")
    )


def invoice_push(push, tax) -> SyncJob:
    """Save an invoice that charges `tax`, run its push, and return its job."""
    with push():
        invoice = factories.InvoiceLineFactory().invoice
        factories.InvoiceTaxLineFactory(invoice=invoice, tax=tax)
        priced_document_recalculate(document=invoice)
    return SyncJob.objects.get(object_id=str(invoice.pk), qbo_entity="Invoice")


def remote_item(sandbox, name: str) -> dict:
    return sandbox.api("GET", f"item/{QboItem.objects.get(name=name).qbo_id}").json()["Item"]


def test_a_tax_named_like_a_product_item_is_refused_at_the_push_and_the_item_is_untouched(
    synced, push, excise
):
    """The attack as found: renamed after a product's item, the tax moved that item's income
    account to the tax liability at the next push."""
    product_item = remote_item(synced, "Blue Dream 3.5g")
    Tax.objects.filter(pk=excise.pk).update(name="Blue Dream 3.5g")  # a rename from before
    excise.refresh_from_db()

    job = invoice_push(push, excise)

    assert job.status == SyncJob.Status.FAILED
    assert job.last_error.startswith("Rename the tax “Blue Dream 3.5g”")
    assert (
        remote_item(synced, "Blue Dream 3.5g")["IncomeAccountRef"]
        == (product_item["IncomeAccountRef"])
    )
    item = QboItem.objects.get(name="Blue Dream 3.5g")
    assert item.income_account.name != "Excise Tax Payable"
    assert Tax.objects.get(pk=excise.pk).qbo_item is None


def test_an_item_of_the_tax_name_on_another_account_is_not_taken_over(synced, push, excise):
    Tax.objects.filter(pk=excise.pk).update(name="Distribution Fee")
    excise.refresh_from_db()

    job = invoice_push(push, excise)

    assert job.status == SyncJob.Status.FAILED
    assert remote_item(synced, "Distribution Fee")["IncomeAccountRef"]["name"] == "Services"


def test_the_first_push_adopts_the_tax_item_already_posting_to_the_tax_account(
    synced, push, excise
):
    """The sample company's "Excise Tax" service item already posts to Excise Tax Payable."""
    job = invoice_push(push, excise)

    assert job.status == SyncJob.Status.SUCCEEDED
    assert Tax.objects.get(pk=excise.pk).qbo_item == QboItem.objects.get(name="Excise Tax")
    assert not synced.api_requests(entity="Item", operation="create")


def test_a_tax_without_an_item_of_its_name_gets_its_own(synced, push, excise):
    Tax.objects.filter(pk=excise.pk).update(name="Cannabis Excise")
    excise.refresh_from_db()

    assert invoice_push(push, excise).status == SyncJob.Status.SUCCEEDED

    item = Tax.objects.get(pk=excise.pk).qbo_item
    assert item.name == "Cannabis Excise" and item.type == QboItem.Type.SERVICE
    assert remote_item(synced, "Cannabis Excise")["IncomeAccountRef"]["name"] == (
        "Excise Tax Payable"
    )


def tax_form(tax: Tax, **fields) -> dict:
    return {"name": tax.name, "rate": str(tax.rate), "applies_to": tax.applies_to, "active": "on",
            **fields}  # fmt: skip


def test_a_renamed_tax_renames_its_own_item_in_quickbooks(admin_client, synced, push, excise):
    invoice_push(push, excise)
    item = Tax.objects.get(pk=excise.pk).qbo_item
    url = reverse("admin:sales_tax_change", args=[excise.pk])

    with push():
        response = admin_client.post(
            url, tax_form(excise, name="State Excise Tax", qbo_account=excise.qbo_account_id)
        )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "State Excise Tax"
    assert remote_item(synced, "State Excise Tax")["Id"] == item.qbo_id
    assert invoice_push(push, excise).status == SyncJob.Status.SUCCEEDED
    assert QboItem.objects.filter(name__icontains="excise").count() == 1


@pytest.mark.parametrize("name", ["Blue Dream 3.5g", "blue dream 3.5G", "Excise Tax"])
def test_the_tax_admin_refuses_a_name_another_item_holds(admin_client, synced, name):
    factories.TaxFactory(qbo_item=QboItem.objects.get(name="Excise Tax"))
    cultivation = factories.TaxFactory(name="Cultivation Tax")
    url = reverse("admin:sales_tax_change", args=[cultivation.pk])

    response = admin_client.post(url, tax_form(cultivation, name=name))
    added = admin_client.post(reverse("admin:sales_tax_add"), tax_form(cultivation, name=name))

    for refused in (response, added):
        assert refused.status_code == 200
        errors = refused.context["adminform"].form.errors["name"]
        assert errors[0].startswith("Choose another name: QuickBooks already has an item named")
    assert set(Tax.objects.values_list("name", flat=True)) == {"Excise Tax", "Cultivation Tax"}


def test_the_tax_admin_accepts_the_name_of_an_item_the_tax_may_use(admin_client, synced):
    """An "Excise Tax" service item made in QuickBooks on the tax's account is reused."""
    account = QboAccount.objects.get(name="Excise Tax Payable")
    response = admin_client.post(
        reverse("admin:sales_tax_add"),
        {
            "name": "Excise Tax",
            "rate": "15",
            "applies_to": "none",
            "active": "on",
            "qbo_account": account.pk,
        },  # fmt: skip
    )
    assert response.status_code == 302
    assert Tax.objects.get(name="Excise Tax").qbo_account == account


LINK_MIGRATION = importlib.import_module("sales.migrations.0005_link_taxes_to_their_items")


def test_the_migration_links_a_tax_only_to_an_item_that_is_safely_its_own():
    liability = factories.QboAccountFactory(account_type="Other Current Liability")
    income = factories.QboAccountFactory()
    service = {"type": QboItem.Type.SERVICE}
    items = {
        "made here for it": factories.QboItemFactory(
            name="Excise Tax",
            origin=QboItem.Origin.LOCAL,
            description="Excise Tax, collected on invoices and posted to Old Payable.",
            income_account=income,
            **service,
        ),
        "on its account": factories.QboItemFactory(
            name="cultivation tax", income_account=liability, **service
        ),
        "a product's": factories.QboItemFactory(
            name="Blue Dream", income_account=liability, **service
        ),
        "not a service": factories.QboItemFactory(name="Local Tax", income_account=liability),
        "another account": factories.QboItemFactory(
            name="City Tax", income_account=income, **service
        ),
    }
    factories.ProductFactory(purchase_qbo_item=items["a product's"])
    for name in ("Excise Tax", "Cultivation Tax", "Blue Dream", "Local Tax", "City Tax"):
        factories.TaxFactory(name=name, qbo_account=liability)

    LINK_MIGRATION.link_taxes_to_their_items(apps, None)

    assert dict(Tax.objects.values_list("name", "qbo_item__name")) == {
        "Excise Tax": "Excise Tax",
        "Cultivation Tax": "cultivation tax",
        "Blue Dream": None,
        "Local Tax": None,
        "City Tax": None,
    }
