"""Choosing the four key accounts: only the right AccountType is offered, and accepted."""

import pytest
from django.urls import reverse

from integrations.models import QboAccount, QboConnection
from tests.factories import QboAccountFactory, QboConnectionFactory

pytestmark = pytest.mark.django_db
URL = "integrations:key_accounts"


@pytest.fixture
def chart():
    QboConnectionFactory()
    return {
        "income": QboAccountFactory(name="Sales of Product Income", account_type="Income"),
        "cogs": QboAccountFactory(name="Cost of Goods Sold", account_type="Cost of Goods Sold"),
        "checking": QboAccountFactory(name="Checking", account_type="Bank"),
        "savings": QboAccountFactory(name="Savings", account_type="Bank"),
        "old_bank": QboAccountFactory(name="Old Bank", account_type="Bank", active=False),
        "excise": QboAccountFactory(
            name="Excise Tax Payable", account_type="Other Current Liability"
        ),
    }


def _post(client, **choices):
    data = {field: account.pk for field, account in choices.items()}
    return client.post(reverse(URL), data)


def test_each_select_offers_only_active_accounts_of_its_type(admin_client, chart):
    form = admin_client.get(reverse(URL)).context["form"]
    offered = {
        name: {str(pk) for pk, _ in field.choices if pk} for name, field in form.fields.items()
    }
    assert offered["default_income_account"] == {str(chart["income"].pk)}
    assert offered["default_expense_account"] == {str(chart["cogs"].pk)}
    bank = {str(chart["checking"].pk), str(chart["savings"].pk)}
    assert offered["sales_deposit_account"] == bank == offered["purchase_deposit_account"]


def test_valid_choices_are_saved(admin_client, chart):
    response = _post(
        admin_client,
        default_income_account=chart["income"],
        default_expense_account=chart["cogs"],
        sales_deposit_account=chart["checking"],
        purchase_deposit_account=chart["savings"],
    )
    assert response.status_code == 302
    connection = QboConnection.objects.get()
    assert connection.default_income_account == chart["income"]
    assert connection.purchase_deposit_account == chart["savings"]


def test_a_wrong_account_type_is_refused_naming_the_account_and_the_type(admin_client, chart):
    response = _post(admin_client, default_income_account=chart["checking"])
    assert response.status_code == 200
    errors = response.context["form"].errors["default_income_account"]
    assert errors == ["“Checking” is a Bank account; Default Income needs an Income account."]
    assert QboConnection.objects.get().default_income_account is None


def test_an_inactive_account_is_refused(admin_client, chart):
    response = _post(admin_client, sales_deposit_account=chart["old_bank"])
    assert (
        "“Old Bank” is inactive in QuickBooks"
        in response.context["form"].errors["sales_deposit_account"][0]
    )


def test_an_account_that_no_longer_exists_is_refused(admin_client, chart):
    gone_pk = chart["savings"].pk
    chart["savings"].delete()
    response = admin_client.post(reverse(URL), {"purchase_deposit_account": gone_pk})
    assert (
        "no longer exists in QuickBooks"
        in response.context["form"].errors["purchase_deposit_account"][0]
    )


def test_a_missing_account_type_shows_a_hint_to_create_one(admin_client, chart):
    QboAccount.objects.filter(account_type="Cost of Goods Sold").delete()
    page = admin_client.get(reverse(URL)).content.decode()
    assert "QuickBooks has no active <strong>Cost of Goods Sold</strong> account" in page


def test_a_mapped_account_retyped_or_inactivated_in_qbo_shows_as_a_conflict(admin_client, chart):
    connection = QboConnection.objects.get()
    connection.sales_deposit_account = chart["checking"]
    connection.default_income_account = chart["income"]
    connection.save()
    QboAccount.objects.filter(pk=chart["checking"].pk).update(active=False)
    QboAccount.objects.filter(pk=chart["income"].pk).update(account_type="Other Income")
    page = admin_client.get(reverse("integrations:quickbooks")).content.decode()
    assert "Account mapping conflict: “Checking” is inactive in QuickBooks" in page
    assert "“Sales of Product Income” is an Other Income account" in page
