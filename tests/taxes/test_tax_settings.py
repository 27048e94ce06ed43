"""Settings → Taxes: each tax mapped to an active Other Current Liability account, in one form."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from integrations.models import QboAccount, QboItem, SyncJob
from sales.models import Tax
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/settings/taxes/"
LIABILITY = QboAccount.AccountType.OTHER_CURRENT_LIABILITY


@pytest.fixture
def setup(db):
    factories.QboConnectionFactory()
    accounts = {
        "excise": factories.QboAccountFactory(name="Excise Tax Payable", account_type=LIABILITY),
        "cultivation": factories.QboAccountFactory(
            name="Cultivation Tax Payable", account_type=LIABILITY
        ),
        "old": factories.QboAccountFactory(
            name="Old Tax Payable", account_type=LIABILITY, active=False
        ),
        "checking": factories.QboAccountFactory(name="Checking", account_type="Bank"),
    }
    taxes = {
        "excise": factories.TaxFactory(name="Excise Tax", rate=Decimal("15")),
        "cultivation": factories.TaxFactory(name="Cultivation Tax", rate=Decimal("9.25")),
    }
    return accounts, taxes


def _field(tax):
    return f"tax_{tax.pk}"


def _options(page: str, tax) -> str:
    start = page.index(f'name="{_field(tax)}"')
    return page[start : page.index("</select>", start)]


def test_the_page_lists_every_tax_with_its_rate_and_only_active_liability_accounts(
    admin_client, setup
):
    accounts, taxes = setup
    page = admin_client.get(URL).content.decode()
    assert "Excise Tax" in page and "15%" in page and "9.25%" in page
    options = _options(page, taxes["excise"])
    assert "Excise Tax Payable" in options and "Cultivation Tax Payable" in options
    assert "Old Tax Payable" not in options and "Checking" not in options
    assert "Save tax accounts" in page


def test_one_post_maps_every_tax(admin_client, setup):
    accounts, taxes = setup
    response = admin_client.post(
        URL,
        {
            _field(taxes["excise"]): accounts["excise"].pk,
            _field(taxes["cultivation"]): accounts["cultivation"].pk,
        },
        follow=True,
    )
    assert "Tax accounts saved" in response.content.decode()
    mapping = dict(Tax.objects.values_list("name", "qbo_account__name"))
    assert mapping == {
        "Excise Tax": "Excise Tax Payable",
        "Cultivation Tax": "Cultivation Tax Payable",
    }


def test_a_mapping_can_be_cleared(admin_client, setup):
    accounts, taxes = setup
    Tax.objects.update(qbo_account=accounts["excise"])
    admin_client.post(URL, {_field(taxes["excise"]): "", _field(taxes["cultivation"]): ""})
    assert not Tax.objects.filter(qbo_account__isnull=False).exists()


@pytest.mark.parametrize(
    ("account", "message"),
    [
        (
            "checking",
            "“Checking” is a QuickBooks Bank account; Excise Tax needs an Other "
            "Current Liability account",
        ),
        ("old", "“Old Tax Payable” is inactive in QuickBooks"),
    ],
)
def test_a_wrong_type_or_inactive_account_is_refused_and_nothing_is_saved(
    admin_client, setup, account, message
):
    accounts, taxes = setup
    response = admin_client.post(
        URL,
        {
            _field(taxes["excise"]): accounts[account].pk,
            _field(taxes["cultivation"]): accounts["cultivation"].pk,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page.replace("&#x27;", "'")
    assert "Please correct the errors below." in page
    assert not Tax.objects.filter(qbo_account__isnull=False).exists()


def test_an_account_deleted_since_the_page_was_shown_is_refused(admin_client, setup):
    accounts, taxes = setup
    gone = accounts["cultivation"].pk
    accounts["cultivation"].delete()
    page = admin_client.post(URL, {_field(taxes["cultivation"]): gone}).content.decode()
    assert "The account chosen for Cultivation Tax no longer exists in QuickBooks" in page
    assert not Tax.objects.filter(qbo_account__isnull=False).exists()


def test_a_mapping_inactivated_in_quickbooks_shows_as_a_conflict(admin_client, setup):
    accounts, taxes = setup
    Tax.objects.filter(pk=taxes["excise"].pk).update(qbo_account=accounts["old"])
    page = admin_client.get(URL).content.decode()
    assert "Account mapping conflict: “Old Tax Payable” is inactive in QuickBooks" in page
    assert "no longer valid" in _options(page, taxes["excise"])


def test_with_no_liability_account_the_page_says_to_create_one(admin_client, setup):
    QboAccount.objects.filter(account_type=LIABILITY).update(active=False)
    page = admin_client.get(URL).content.decode()
    assert "QuickBooks has no active <strong>Other Current Liability</strong> account" in page


def test_when_disconnected_the_page_says_to_connect_first(admin_client, setup):
    from integrations.models import QboConnection

    QboConnection.objects.update(status=QboConnection.Status.DISCONNECTED)
    assert "QuickBooks is not connected" in admin_client.get(URL).content.decode()


def test_staff_without_the_permission_see_the_mapping_read_only(client, setup, django_user_model):
    accounts, taxes = setup
    user = django_user_model.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_tax", "change_tax"]))
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert "Save tax accounts" not in page
    assert "disabled" in _options(page, taxes["excise"]).split(">")[0]
    response = client.post(URL, {_field(taxes["excise"]): accounts["excise"].pk})
    assert response.status_code == 403
    assert not Tax.objects.filter(qbo_account__isnull=False).exists()


def test_a_user_with_only_the_integration_permission_can_map(client, setup, django_user_model):
    accounts, taxes = setup
    user = django_user_model.objects.create_user("manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_qbo_integration"))
    client.force_login(user)
    client.post(URL, {_field(taxes["excise"]): accounts["excise"].pk})
    assert Tax.objects.get(pk=taxes["excise"].pk).qbo_account == accounts["excise"]


def test_people_who_are_not_staff_are_sent_to_the_login_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("clerk"))
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_page_is_linked_from_the_user_menu_the_panel_and_the_quickbooks_page(
    admin_client, setup
):
    assert reverse("sales:taxes") == URL
    for page in ("admin:index", "integrations:panel", "integrations:quickbooks"):
        assert f'href="{URL}"' in admin_client.get(reverse(page)).content.decode(), page


def test_saving_a_mapping_sends_nothing_to_quickbooks(admin_client, synced):
    tax = factories.TaxFactory(name="Excise Tax")
    account = QboAccount.objects.get(name="Excise Tax Payable")
    items_before = QboItem.objects.count()
    admin_client.post(URL, {_field(tax): account.pk})
    assert Tax.objects.get().qbo_account == account
    assert not SyncJob.objects.exists()
    assert QboItem.objects.count() == items_before
    assert synced.state()["requests"] == []


def test_the_tax_admin_refuses_a_wrong_account_type_as_well(admin_client, setup):
    accounts, taxes = setup
    url = reverse("admin:sales_tax_change", args=[taxes["excise"].pk])
    data = {"name": "Excise Tax", "rate": "15", "applies_to": "none", "active": "on"}
    page = admin_client.post(url, {**data, "qbo_account": accounts["checking"].pk})
    assert "needs an Other Current Liability account" in page.content.decode()
    admin_client.post(url, {**data, "qbo_account": accounts["excise"].pk})
    assert Tax.objects.get(pk=taxes["excise"].pk).qbo_account == accounts["excise"]
