"""Pages speak as people do: counts with the noun that fits them, QuickBooks' own names for
what it holds, and no field or model name of ours."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from distru_qbo.words import counted
from integrations.models import QboAccount, QboConnection, SyncJob
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("n", "nouns", "said"),
    [
        (0, ("push", "pushes"), "0 pushes"),
        (1, ("push", "pushes"), "1 push"),
        (2, ("push", "pushes"), "2 pushes"),
        (1, ("item",), "1 item"),
        (1500, ("item",), "1,500 items"),
        (1, ("entry", "entries"), "1 entry"),
    ],
)
def test_a_count_is_written_with_the_noun_that_fits_it(n, nouns, said):
    assert counted(n, *nouns) == said


def _paused_jobs(n):
    for index in range(n):
        SyncJob.objects.create(
            content_type_id=1,
            object_id=str(index),
            label=f"Invoice INV-{index}",
            qbo_entity="Invoice",
            request_id=f"request-{index}",
            status=SyncJob.Status.PAUSED,
        )


@pytest.mark.parametrize(
    ("n", "panel", "status"),
    [
        (1, "1 push paused until you reconnect", "1 push is paused until you reconnect"),
        (2, "2 pushes paused until you reconnect", "2 pushes are paused until you reconnect"),
    ],
)
def test_paused_pushes_are_counted_in_words_on_the_panel_and_the_status_page(
    admin_client, n, panel, status
):
    factories.QboConnectionFactory(status=QboConnection.Status.EXPIRED)
    _paused_jobs(n)

    assert panel in admin_client.get(reverse("integrations:panel")).content.decode()
    assert status in admin_client.get(reverse("integrations:quickbooks")).content.decode()


def test_the_quickbooks_page_counts_what_it_mirrors_in_words(admin_client):
    factories.QboConnectionFactory()
    factories.QboAccountFactory()
    factories.QboClassFactory()
    factories.QboItemFactory.create_batch(2)

    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()

    assert "1 account · 1 class · 2 items" in page
    assert "<dt>Company ID</dt>" in page


def test_the_disconnected_panel_has_the_connect_button_for_those_who_may_connect(
    admin_client, client, django_user_model
):
    page = admin_client.get(reverse("integrations:panel")).content.decode()
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    client.force_login(viewer)
    seen_by_viewer = client.get(reverse("integrations:panel")).content.decode()

    connect = reverse("integrations:connect")
    assert f'action="{connect}"' in page
    assert 'value="Connect to QuickBooks Online"' in page
    assert "Connect to QuickBooks Online" not in seen_by_viewer


def test_account_types_read_as_quickbooks_spells_them():
    # Intuit's AccountTypeEnum (Finance.xsd): "Cost of Goods Sold", lower-case "of".
    labels = dict(QboAccount.AccountType.choices)

    assert labels["Cost of Goods Sold"] == "Cost of Goods Sold"
    assert all(label == value for value, label in labels.items())


def test_the_account_list_filter_shows_the_quickbooks_spelling(admin_client):
    factories.QboAccountFactory(name="COGS", account_type="Cost of Goods Sold")

    page = admin_client.get(reverse("admin:integrations_qboaccount_changelist")).content.decode()

    assert "Cost Of Goods Sold" not in page
    assert "Cost of Goods Sold" in page


def test_a_purchase_order_is_named_once_by_its_number():
    assert str(factories.PurchaseOrderFactory(number="PO-900")) == "Purchase order PO-900"


# Names of ours, or QuickBooks' internals, that no page may show.
INTERNAL = re.compile(
    r"QBO (SyncToken|id|item|account|class|connection|entity)|SyncToken|[Ww]atermark|"
    r"[Rr]ealm id|per txn|full synced|PO PO-|Cost Of Goods"
)


def test_record_pages_show_no_internal_names(admin_client):
    connection = factories.QboConnectionFactory()
    item = factories.QboItemFactory()
    order = factories.PurchaseOrderFactory(number="PO-900")
    invoice = factories.InvoiceFactory()
    pages = [
        reverse("admin:index"),
        reverse("admin:integrations_qboconnection_change", args=[connection.pk]),
        reverse("admin:integrations_qboitem_change", args=[item.pk]),
        reverse("admin:integrations_qboitem_changelist"),
        reverse("admin:purchases_purchaseorder_change", args=[order.pk]),
        reverse("admin:purchases_purchaseorder_changelist"),
        reverse("admin:sales_invoice_change", args=[invoice.pk]),
        reverse("admin:integrations_pushattempt_changelist"),
        reverse("integrations:quickbooks"),
    ]
    for url in pages:
        page = admin_client.get(url).content.decode()
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S))
        assert not INTERNAL.search(text), (url, INTERNAL.search(text))


def test_every_page_has_our_favicon(admin_client, client):
    icon = '<link rel="icon" type="image/svg+xml" href="/static/distru_qbo/favicon.svg">'

    assert icon in client.get(reverse("admin:login")).content.decode()
    assert icon in admin_client.get(reverse("integrations:panel")).content.decode()
    assert finders.find("distru_qbo/favicon.svg").endswith("favicon.svg")
