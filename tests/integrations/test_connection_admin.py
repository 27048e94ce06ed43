"""The connection admin is read-only, for everyone: the key accounts are chosen on the Key
accounts page, which applies their rules and moves the default items onto them."""

import pytest
from django.urls import reverse

from integrations.models import QboConnection
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("admin:integrations_qboconnection_change", args=[QboConnection.SINGLETON_ID])


def test_not_even_a_superuser_sets_a_key_account_or_class_tracking_here(admin_client):
    factories.QboConnectionFactory()
    bank = factories.QboAccountFactory(name="Checking", account_type="Bank")

    response = admin_client.post(
        URL, {"default_income_account": bank.pk, "class_tracking_per_line": "on"}
    )

    assert response.status_code == 403
    connection = QboConnection.objects.get()
    assert connection.default_income_account is None
    assert connection.class_tracking_per_line is False


def test_the_page_shows_the_key_accounts_and_where_they_are_chosen(admin_client):
    income = factories.QboAccountFactory(name="Sales of Product Income")
    factories.QboConnectionFactory(default_income_account=income)

    page = admin_client.get(URL).content.decode()

    assert 'name="default_income_account"' not in page
    assert "Sales of Product Income (Income)" in page
    assert f'<a href="{reverse("integrations:key_accounts")}">Key accounts</a>' in page
