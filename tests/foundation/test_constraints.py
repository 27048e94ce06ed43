"""The database refuses what the domain forbids."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from integrations.models import QboConnection, QboItem
from tests import factories

pytestmark = pytest.mark.django_db


def test_product_sku_is_unique():
    factories.ProductFactory(sku="FL-EME-100")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ProductFactory(sku="FL-EME-100")


def test_invoice_number_is_unique():
    factories.InvoiceFactory(number="INV-1001")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.InvoiceFactory(number="INV-1001")


def test_purchase_order_number_is_unique():
    factories.PurchaseOrderFactory(number="PO-501")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PurchaseOrderFactory(number="PO-501")


def test_there_is_only_ever_one_qbo_connection():
    QboConnection.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        QboConnection.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        QboConnection.objects.create(id=2)
    assert QboConnection.objects.count() == 1


def test_qbo_item_names_are_unique_ignoring_case():
    factories.QboItemFactory(name="Distru Sales")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.QboItemFactory(name="DISTRU SALES")


def test_qbo_ids_are_unique_but_many_items_may_wait_unpushed():
    factories.QboItemFactory(qbo_id="", name="Made here 1", origin=QboItem.Origin.LOCAL)
    factories.QboItemFactory(qbo_id="", name="Made here 2", origin=QboItem.Origin.LOCAL)
    factories.QboItemFactory(qbo_id="42")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.QboItemFactory(qbo_id="42")


@pytest.mark.parametrize("side", ["sales_qbo_item", "purchase_qbo_item"])
def test_a_mapped_qbo_item_cannot_be_deleted(side):
    item = factories.QboItemFactory()
    product = factories.ProductFactory(**{side: item})
    with pytest.raises(ProtectedError), transaction.atomic():
        item.delete()
    product.refresh_from_db()
    assert getattr(product, side) == item


def test_a_tax_is_charged_once_per_invoice():
    tax_line = factories.InvoiceTaxLineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.InvoiceTaxLineFactory(invoice=tax_line.invoice, tax=tax_line.tax)


def test_tokens_are_encrypted_at_rest_and_read_back_in_plaintext():
    factories.QboConnectionFactory(access_token="secret-access", refresh_token="secret-refresh")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_qboconnection")
        raw_access, raw_refresh = cursor.fetchone()
    assert "secret" not in raw_access and "secret" not in raw_refresh
    conn = QboConnection.objects.get()
    assert (conn.access_token, conn.refresh_token) == ("secret-access", "secret-refresh")


def test_a_rotated_key_still_decrypts_old_tokens(settings):
    from cryptography.fernet import Fernet

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.QBO_TOKEN_KEYS = [old_key]
    factories.QboConnectionFactory(refresh_token="refresh-under-old-key")
    settings.QBO_TOKEN_KEYS = [new_key, old_key]
    conn = QboConnection.objects.get()
    assert conn.refresh_token == "refresh-under-old-key"
    conn.save(update_fields=["access_token", "refresh_token"])
    settings.QBO_TOKEN_KEYS = [new_key]
    assert QboConnection.objects.get().refresh_token == "refresh-under-old-key"
